import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createEvent, publishEvents } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { ServiceProcess, eventually, requireKafka, requireRedis, uniqueName, waitUntil } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OtlpReceiver, SPAN_KIND, type ReceivedSpan } from '../src/testing/otlp-receiver.js'

const GATEWAY_PORT = 19201
const INVALIDATOR_PORT = 19202

/**
 * Acceptance (issue 8): a gateway read that misses, loads from the origin, and is later invalidated by a domain event
 * on real Kafka is one connected trace across the gateway, Redis, Kafka and the invalidator. The gateway and the
 * invalidator run as their real main.ts child processes, instrumented by `--import @strata/telemetry/register`,
 * exporting OTLP/HTTP to a receiver in this test.
 */
describe('one connected trace: gateway miss → origin → domain event on Kafka → invalidator → every gateway L1', () => {
  const namespace = uniqueName('traced').replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60)
  const domainTopic = uniqueName('shop.orders')
  const originTraceparents: string[] = []
  let receiver: OtlpReceiver
  let origin: Server
  let gateway: ServiceProcess
  let invalidator: ServiceProcess
  let transport: KafkaTransport

  beforeAll(async () => {
    const brokers = await requireKafka()
    const redisUrl = await requireRedis()
    receiver = await OtlpReceiver.start()
    origin = createServer((request, response) => {
      originTraceparents.push(String(request.headers.traceparent ?? ''))
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: request.url, at: Date.now() }))
    })
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve))
    const originPort = (origin.address() as AddressInfo).port
    const rulesDir = mkdtempSync(join(tmpdir(), 'strata-trace-'))
    const rulesFile = join(rulesDir, 'rules.yaml')
    writeFileSync(rulesFile, `version: 1\nrules:\n  - name: order-updated\n    topic: ${domainTopic}\n    type: order.updated\n    namespace: ${namespace}\n    keys: ['order:{data.id}']\n`)
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'always_on',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      STRATA_KAFKA_BROKERS: brokers.join(','),
      STRATA_REDIS_URL: redisUrl,
      LOG_LEVEL: 'warn',
    }
    gateway = ServiceProcess.start('gateway', {
      // Auth is another suite's concern (services/gateway/test/auth-matrix.test.ts): this gateway runs open.
      STRATA_GATEWAY_AUTH: 'off',
      ...otel,
      OTEL_SERVICE_NAME: 'strata-gateway',
      HOST: '127.0.0.1',
      PORT: String(GATEWAY_PORT),
      STRATA_GATEWAY_L2: 'redis',
      STRATA_GATEWAY_BUS: 'kafka',
      STRATA_GATEWAY_DRAIN_DELAY_MS: '0',
      STRATA_GATEWAY_NAMESPACES: JSON.stringify({ [namespace]: { ttl: 600_000, origin: { url: `http://127.0.0.1:${originPort}/orders/{key}` } } }),
      // Access batches go out in the background and must stay out of the request's trace (checked below: one root).
      STRATA_GATEWAY_ACCESS_EVENTS: JSON.stringify({ defaultSampleRate: 1, topic: uniqueName('test.access') }),
    })
    invalidator = ServiceProcess.start('invalidator', {
      ...otel,
      OTEL_SERVICE_NAME: 'strata-invalidator',
      STRATA_INVALIDATOR_RULES: rulesFile,
      STRATA_INVALIDATOR_PORT: String(INVALIDATOR_PORT),
      STRATA_INVALIDATOR_GROUP: uniqueName('invalidator'),
      STRATA_INSTANCE_ID: uniqueName('inv'),
    })
    transport = new KafkaTransport({ brokers, clientId: 'trace-test', log: () => undefined })
    const up = async (port: number) => (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.ok === true
    await waitUntil(async () => {
      if (gateway.exited || invalidator.exited) throw new Error(`a service exited:\n${gateway.output.join('')}\n${invalidator.output.join('')}`)
      return (await up(GATEWAY_PORT)) && (await up(INVALIDATOR_PORT))
    }, 90_000)
  }, 120_000)

  afterAll(async () => {
    await Promise.all([gateway?.stop(), invalidator?.stop()])
    await transport?.close()
    await new Promise((resolve) => origin?.close(resolve))
    await receiver?.close()
  })

  it('links gateway, Redis, origin, Kafka producer and consumers and the invalidator under one root', async () => {
    const url = `http://127.0.0.1:${GATEWAY_PORT}/v1/namespaces/${namespace}/keys/order:42`
    const first = await fetch(url)
    expect(first.status).toBe(200)
    expect(first.headers.get('x-cache')).toBe('MISS')
    expect((await fetch(url)).headers.get('x-cache')).toBe('HIT')

    // The origin saw the gateway's trace context; the user's service emits the domain event within that trace.
    const traceparent = originTraceparents[0]
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    const traceId = traceparent!.split('-')[1]!
    // The gateway's broadcast subscription may still be joining: republish (idempotent by event id) until followed.
    const event = createEvent({ type: 'order.updated', source: 'shop/orders', subject: '42', data: { id: 42 }, traceparent })
    await eventually(async () => {
      await publishEvents(transport, domainTopic, [event])
      const gatewayConsumed = receiver.trace(traceId).some((span) => span.service === 'strata-gateway' && span.kind === SPAN_KIND.consumer)
      expect(gatewayConsumed).toBe(true)
    }, 60_000)
    expect((await fetch(url)).headers.get('x-cache')).toBe('MISS')

    await eventually(() => {
      const spans = receiver.trace(traceId)
      const byId = new Map(spans.map((span) => [span.spanId, span]))
      const roots = spans.filter((span) => span.parentSpanId === '')
      // One root: the gateway's HTTP server span of the first read. Every other span's parent is in the trace.
      expect(roots.map((span) => `${span.service}:${span.name}`)).toEqual([expect.stringMatching(/^strata-gateway:GET/)])
      expect(roots[0]!.kind).toBe(SPAN_KIND.server)
      for (const span of spans) if (span.parentSpanId !== '') expect(byId.has(span.parentSpanId), `parent of ${span.service}:${span.name}`).toBe(true)

      const ancestors = (span: ReceivedSpan): ReceivedSpan[] => {
        const chain: ReceivedSpan[] = []
        for (let at = byId.get(span.parentSpanId); at !== undefined; at = byId.get(at.parentSpanId)) chain.push(at)
        return chain
      }
      const find = (what: string, predicate: (span: ReceivedSpan) => boolean) => {
        const found = spans.find(predicate)
        expect(found, what).toBeDefined()
        return found!
      }
      // Gateway: Redis (L2 read) and the origin call, under the server span.
      find('gateway redis span', (span) => span.service === 'strata-gateway' && span.scope.includes('ioredis'))
      const originCall = find('gateway origin client span', (span) => span.service === 'strata-gateway' && span.kind === SPAN_KIND.client && span.spanId === traceparent!.split('-')[2])
      // Invalidator: consumes the domain event as a child of the origin call, deletes in Redis, publishes to Kafka.
      const consumed = find('invalidator consumer span', (span) => span.service === 'strata-invalidator' && span.kind === SPAN_KIND.consumer)
      expect(consumed.attributes['messaging.destination.name']).toBe(domainTopic)
      expect(ancestors(consumed)).toContain(originCall)
      const invalidatorRedis = find('invalidator redis span', (span) => span.service === 'strata-invalidator' && span.scope.includes('ioredis'))
      expect(ancestors(invalidatorRedis)).toContain(consumed)
      const published = find('invalidator producer span', (span) => span.service === 'strata-invalidator' && span.kind === SPAN_KIND.producer && span.attributes['messaging.destination.name'] === 'strata.invalidations.v1')
      expect(ancestors(published)).toContain(consumed)
      // Gateway: follows the invalidation (L1 drop) as a child of the invalidator's publish.
      const followed = find('gateway invalidation consumer span', (span) => span.service === 'strata-gateway' && span.kind === SPAN_KIND.consumer)
      expect(followed.parentSpanId).toBe(published.spanId)
      expect(spans.some((span) => span.name.startsWith('test.access'))).toBe(false)
      if (process.env.STRATA_PRINT_TRACE === '1') console.log(spans.map((span) => `${ancestors(span).map(() => '  ').join('')}${span.service} ${span.name} [${span.scope}]`).join('\n'))
    }, 30_000)
  }, 150_000)

  it("serves the OpenTelemetry meter's metrics on the gateway's /metrics, beside prom-client's", async () => {
    await eventually(async () => {
      const text = await (await fetch(`http://127.0.0.1:${GATEWAY_PORT}/metrics`)).text()
      expect(text).toMatch(/^strata_cache_requests_total\{/m)
      expect(Number(/^strata_access_events_published_total (\d+)/m.exec(text)?.[1] ?? 0)).toBeGreaterThanOrEqual(3)
    }, 10_000)
  })
})
