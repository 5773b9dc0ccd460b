import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OtlpReceiver, SPAN_KIND, type ReceivedSpan } from '@strata/telemetry/testing'
import { ServiceProcess, eventually, freePort, servers, uniqueName, waitUntil } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SECRET } from './support/harness.js'
import { MetricsEndpoint } from './support/metrics-endpoint.js'

/**
 * Webhook deliveries carry the trace of the evaluation that queued them: the real main.ts, instrumented by
 * `--import @strata/telemetry/register`, exports OTLP to a receiver here. The delivery job crosses BullMQ on the
 * queue Redis; the webhook POST it makes arrives with a traceparent of the evaluation's trace.
 */
describe('alerting: evaluation → BullMQ delivery job → webhook POST, one trace', () => {
  const rule = uniqueName('depth').replace(/[^A-Za-z0-9_-]/g, '-')
  const queue = uniqueName('webhooks')
  const posts: Array<{ traceparent: string | undefined; body: string }> = []
  let receiver: OtlpReceiver
  let metrics: MetricsEndpoint
  let webhook: Server
  let alerting: ServiceProcess

  beforeAll(async () => {
    receiver = await OtlpReceiver.start()
    metrics = new MetricsEndpoint()
    const metricsUrl = await metrics.start()
    webhook = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        posts.push({ traceparent: request.headers.traceparent as string | undefined, body: Buffer.concat(chunks).toString('utf8') })
        response.writeHead(200).end()
      })
    })
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve))
    const rulesFile = join(mkdtempSync(join(tmpdir(), 'alerting-trace-')), 'rules.yaml')
    writeFileSync(
      rulesFile,
      `version: 1
interval: 200ms
receivers:
  - { name: ops, url: "http://127.0.0.1:${(webhook.address() as AddressInfo).port}/ops", secret: ${SECRET} }
rules:
  - { name: ${rule}, kind: threshold, expr: { gauge: { metric: depth } }, op: ">", threshold: 10 }
`,
    )
    const port = await freePort()
    alerting = ServiceProcess.start('alerting', {
      OTEL_SERVICE_NAME: 'strata-alerting',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      STRATA_LOG_LEVEL: 'warn',
      STRATA_QUEUE_REDIS_URL: servers.queueRedisUrl,
      STRATA_KAFKA_BROKERS: servers.kafkaBrokers.join(','),
      STRATA_PREFIX: uniqueName('alerting'),
      STRATA_ALERTING_AUTH: 'off',
      STRATA_ALERTING_HOST: '127.0.0.1',
      STRATA_ALERTING_PORT: String(port),
      STRATA_ALERTING_RULES: rulesFile,
      STRATA_ALERTING_SCRAPE: metricsUrl,
      STRATA_ALERTING_QUEUE: queue,
    })
    await waitUntil(async () => {
      if (alerting.exited) throw new Error(`alerting exited:\n${alerting.output.join('')}`)
      return (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.ok === true
    }, 90_000)
  }, 120_000)

  afterAll(async () => {
    await alerting?.stop()
    await metrics?.stop()
    await new Promise((resolve) => webhook?.close(resolve))
    await receiver?.close()
  })

  it('the webhook POST is a span of the evaluation trace, under the delivery job span', async () => {
    metrics.set('depth', 50)
    // The default dead-letter rule also notifies /ops about other suites' dead letters: only this rule's POST counts.
    await eventually(() => expect(posts.find((post) => post.body.includes(rule))).toBeDefined(), 30_000)
    const post = posts.find((entry) => entry.body.includes(rule))!
    expect(post.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    const [, traceId, clientSpanId] = post.traceparent!.split('-')

    await eventually(() => {
      const spans = receiver.trace(traceId!)
      const byId = new Map(spans.map((span) => [span.spanId, span]))
      const ancestors = (span: ReceivedSpan): ReceivedSpan[] => {
        const chain: ReceivedSpan[] = []
        for (let at = byId.get(span.parentSpanId); at !== undefined; at = byId.get(at.parentSpanId)) chain.push(at)
        return chain
      }
      const send = spans.find((span) => span.spanId === clientSpanId)
      expect(send, 'the webhook POST client span').toBeDefined()
      expect(send!.kind).toBe(SPAN_KIND.client)
      const job = ancestors(send!).find((span) => span.name === `${queue} process`)
      expect(job, 'the delivery job span').toBeDefined()
      expect(job!.kind).toBe(SPAN_KIND.consumer)
      const evaluation = ancestors(job!).at(-1)
      expect(evaluation?.name).toBe('alerting.evaluate')
      expect(evaluation?.parentSpanId).toBe('')
    }, 20_000)
  }, 60_000)
})
