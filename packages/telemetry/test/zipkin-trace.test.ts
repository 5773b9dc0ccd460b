import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createEvent, publishEvents } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { ServiceProcess, eventually, freePort, requireKafka, requireRedis, requireZipkin, uniqueName, waitUntil } from '@strata/testkit'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const CHROMIUM = process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium'

/** A span as Zipkin's v2 API returns it (service names and span names lower-cased by Zipkin). */
interface ZipkinSpan {
  traceId: string
  id: string
  parentId?: string
  name?: string
  kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER'
  localEndpoint?: { serviceName?: string }
  tags?: Record<string, string>
}

/**
 * Acceptance (issue 23, item 7): the tracing UI of the loopback servers. The gateway's and the invalidator's real
 * main.ts export through the standard `OTEL_TRACES_EXPORTER=zipkin` to the Zipkin `pnpm infra:up` runs, and the trace
 * gateway → Kafka → invalidator → Kafka → gateway is read back from Zipkin's own API, the one its UI uses. Service
 * names are unique per run, so a second run (or another clone) finds only its own trace. Last, the UI draws it in
 * headless Chromium.
 */
describe('a cross-service trace in Zipkin (infra tracing UI)', () => {
  const namespace = uniqueName('zipkin').slice(0, 60)
  const domainTopic = uniqueName('shop.orders')
  const gatewayService = uniqueName('strata-gateway')
  const invalidatorService = uniqueName('strata-invalidator')
  const originTraceparents: string[] = []
  const rulesDir = mkdtempSync(join(tmpdir(), 'strata-zipkin-'))
  let zipkin: string
  let origin: Server
  let gateway: ServiceProcess
  let invalidator: ServiceProcess
  let transport: KafkaTransport
  let gatewayPort: number
  let invalidatorPort: number

  beforeAll(async () => {
    zipkin = await requireZipkin()
    const brokers = await requireKafka()
    const redisUrl = await requireRedis()
    origin = createServer((request, response) => {
      originTraceparents.push(String(request.headers.traceparent ?? ''))
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: request.url, at: Date.now() }))
    })
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve))
    const originPort = (origin.address() as AddressInfo).port
    const rulesFile = join(rulesDir, 'rules.yaml')
    writeFileSync(rulesFile, `version: 1\nrules:\n  - name: order-updated\n    topic: ${domainTopic}\n    type: order.updated\n    namespace: ${namespace}\n    keys: ['order:{data.id}']\n`)
    gatewayPort = await freePort()
    invalidatorPort = await freePort()
    const otel = {
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${zipkin}/api/v2/spans`,
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
      OTEL_SERVICE_NAME: gatewayService,
      HOST: '127.0.0.1',
      PORT: String(gatewayPort),
      STRATA_GATEWAY_L2: 'redis',
      STRATA_GATEWAY_BUS: 'kafka',
      STRATA_GATEWAY_DRAIN_DELAY_MS: '0',
      STRATA_GATEWAY_NAMESPACES: JSON.stringify({ [namespace]: { ttl: 600_000, origin: { url: `http://127.0.0.1:${originPort}/orders/{key}` } } }),
    })
    invalidator = ServiceProcess.start('invalidator', {
      ...otel,
      OTEL_SERVICE_NAME: invalidatorService,
      STRATA_INVALIDATOR_RULES: rulesFile,
      STRATA_INVALIDATOR_PORT: String(invalidatorPort),
      STRATA_INVALIDATOR_GROUP: uniqueName('invalidator'),
      STRATA_INSTANCE_ID: uniqueName('inv'),
    })
    transport = new KafkaTransport({ brokers, clientId: 'zipkin-trace-test', log: () => undefined })
    const up = async (port: number) => (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.ok === true
    await waitUntil(async () => {
      if (gateway.exited || invalidator.exited) throw new Error(`a service exited:\n${gateway.output.join('')}\n${invalidator.output.join('')}`)
      return (await up(gatewayPort)) && (await up(invalidatorPort))
    }, 90_000)
  }, 120_000)

  afterAll(async () => {
    await Promise.all([gateway?.stop(), invalidator?.stop()])
    await transport?.close()
    if (origin !== undefined) await new Promise((resolve) => origin.close(resolve))
    rmSync(rulesDir, { recursive: true, force: true })
  })

  const zipkinGet = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${zipkin}${path}`)
    expect(response.status, `GET ${path}`).toBe(200)
    return (await response.json()) as T
  }

  it('holds gateway → Kafka → invalidator → Kafka → gateway as one trace, read back from its API and drawn by its UI', async () => {
    const url = `http://127.0.0.1:${gatewayPort}/v1/namespaces/${namespace}/keys/order:42`
    const first = await fetch(url)
    expect(first.status).toBe(200)
    expect(first.headers.get('x-cache')).toBe('MISS')
    const traceparent = originTraceparents[0]
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    const [, traceId, originCallId] = traceparent!.split('-') as [string, string, string]

    // The user's service emits the domain event within the request's trace. The gateway's broadcast subscription may
    // still be joining: republish (idempotent by event id) until its L1 follows, which a MISS after a HIT shows.
    expect((await fetch(url)).headers.get('x-cache')).toBe('HIT')
    const event = createEvent({ type: 'order.updated', source: 'shop/orders', subject: '42', data: { id: 42 }, traceparent })
    await eventually(async () => {
      await publishEvents(transport, domainTopic, [event])
      expect((await fetch(url)).headers.get('x-cache')).toBe('MISS')
    }, 60_000)

    const gatewayName = gatewayService.toLowerCase()
    const invalidatorName = invalidatorService.toLowerCase()
    await eventually(async () => {
      const spans = await zipkinGet<ZipkinSpan[]>(`/api/v2/trace/${traceId}`)
      const byId = new Map(spans.map((span) => [span.id, span]))
      const service = (span: ZipkinSpan) => span.localEndpoint?.serviceName
      const ancestors = (span: ZipkinSpan): ZipkinSpan[] => {
        const chain: ZipkinSpan[] = []
        for (let at = span.parentId && byId.get(span.parentId); at; at = at.parentId ? byId.get(at.parentId) : undefined) chain.push(at)
        return chain
      }
      const find = (what: string, predicate: (span: ZipkinSpan) => boolean) => {
        const found = spans.find(predicate)
        expect(found, `${what} in ${JSON.stringify(spans.map((span) => `${service(span)} ${span.kind ?? 'LOCAL'} ${span.name}`))}`).toBeDefined()
        return found!
      }
      expect(new Set(spans.map(service))).toEqual(new Set([gatewayName, invalidatorName]))
      const roots = spans.filter((span) => span.parentId === undefined)
      expect(roots.map((span) => `${service(span)} ${span.kind}`)).toEqual([`${gatewayName} SERVER`])
      const originCall = find('the gateway origin call', (span) => span.id === originCallId && service(span) === gatewayName && span.kind === 'CLIENT')
      // The event may be delivered more than once (the loop above publishes it again until the gateway misses; a
      // repeat is a duplicate that announces nothing): every delivery is traced under the origin call, and the
      // invalidation is published under one of them.
      find('the invalidator consuming the domain event', (span) => service(span) === invalidatorName && span.kind === 'CONSUMER')
      const deliveries = spans.filter((span) => service(span) === invalidatorName && span.kind === 'CONSUMER' && span.tags?.['messaging.destination.name'] === domainTopic)
      expect(deliveries.length).toBeGreaterThan(0)
      for (const delivery of deliveries) expect(ancestors(delivery)).toContain(originCall)
      const published = find(
        'the invalidator publishing the invalidation',
        (span) => service(span) === invalidatorName && span.kind === 'PRODUCER' && span.tags?.['messaging.destination.name'] === 'strata.invalidations.v1',
      )
      expect(ancestors(published).filter((span) => deliveries.includes(span)), 'the publish under a delivery of the domain event').toHaveLength(1)
      const followed = find('the gateway following the invalidation', (span) => service(span) === gatewayName && span.kind === 'CONSUMER')
      expect(followed.parentId).toBe(published.id)
    }, 30_000)

    // What the UI lists: both services, and the trace under the invalidator's name.
    const services = await zipkinGet<string[]>('/api/v2/services')
    expect(services).toEqual(expect.arrayContaining([gatewayName, invalidatorName]))
    const listed = await zipkinGet<ZipkinSpan[][]>(`/api/v2/traces?serviceName=${encodeURIComponent(invalidatorName)}&lookback=3600000&limit=10`)
    expect(listed.map((trace) => trace[0]?.traceId)).toContain(traceId)

    // And the UI itself, in a real browser: the trace's page draws the spans of both services, down to the gateway
    // following the invalidator's publish.
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
      await page.goto(`${zipkin}/zipkin/traces/${traceId}`)
      await page.getByText(`${invalidatorName}: strata.invalidations.v1 publish`).first().waitFor({ timeout: 30_000 })
      const shown = await page.locator('body').innerText()
      expect(shown).toContain(traceId)
      expect(shown).toMatch(/Services\s*2/)
      expect(shown).toContain(`${gatewayName}: get /v1/namespaces/:ns/keys/:key`)
      expect(shown).toContain(`${invalidatorName}: ${domainTopic} process`)
      expect(shown).toContain(`${gatewayName}: strata.invalidations.v1 process`)
    } finally {
      await browser.close()
    }
  }, 150_000)
})
