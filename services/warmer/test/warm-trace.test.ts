import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MemoryTransport, createEvent, publishEvents, type HotKeysEvent } from '@strata/bus'
import { createCache } from '@strata/core'
import { SpanKind, startSpanRecorder, type RecordedSpan } from '@strata/telemetry/testing'
import { eventually, uniqueName } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CronWarmScheduler, buildWarmer, type WarmerService } from '../src/app.js'
import { httpLoader } from '../src/plan-loader.js'

/**
 * Warm work continues the trace of whoever asked for it: a manual run under the caller's span, a hot-keys report
 * through the bus under its producer's span. The origin's loads carry that trace (the fetch's traceparent), so an
 * origin slowed by warming can be traced back to the request or report that started it.
 */
describe("warmer: runs and hot-keys reports continue the caller's trace", () => {
  const recorder = startSpanRecorder()
  const tracer = recorder.tracer
  const hotKeysTopic = uniqueName('test.hot-keys')
  const loads = new Map<string, string | undefined>()
  const transport = new MemoryTransport()
  let origin: Server
  let service: WarmerService

  beforeAll(async () => {
    origin = createServer((request, response) => {
      loads.set(request.url ?? '', request.headers.traceparent as string | undefined)
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: request.url }))
    })
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve))
    service = buildWarmer({
      cache: createCache({ prefix: uniqueName('warm-trace'), l1: { maxEntries: 100 } }),
      loaders: { catalog: httpLoader(`http://127.0.0.1:${(origin.address() as AddressInfo).port}/catalog/{key}`) },
      targets: [{ kind: 'keys', name: 'catalog-top', namespace: 'catalog', keys: ['top'] }],
      scheduler: new CronWarmScheduler(),
      rate: { perSecond: 1000 },
      transport,
      hotKeysTopic,
      warmingTopic: uniqueName('test.warming'),
    })
    await service.start()
  })

  afterAll(async () => {
    await service?.stop()
    await transport.close()
    await new Promise((resolve) => origin?.close(resolve))
    await recorder.shutdown()
  })

  const parentOf = (span: RecordedSpan) => span.parentSpanContext?.spanId
  const ancestors = (span: RecordedSpan): RecordedSpan[] => {
    const byId = new Map(recorder.trace(span.spanContext().traceId).map((each) => [each.spanContext().spanId, each]))
    const chain: RecordedSpan[] = []
    for (let at = byId.get(parentOf(span) ?? ''); at !== undefined; at = byId.get(parentOf(at) ?? '')) chain.push(at)
    return chain
  }
  /** The origin load of `path`, as a client span, and the trace id its traceparent header carried. */
  const loadOf = (path: string) => {
    const traceparent = loads.get(path)
    expect(traceparent, `traceparent of the load of ${path}`).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    const [, traceId, spanId] = traceparent!.split('-')
    const client = recorder.trace(traceId!).find((span) => span.spanContext().spanId === spanId)
    expect(client?.kind).toBe(SpanKind.CLIENT)
    return { traceId: traceId!, client: client! }
  }

  it('a manual run is a child of the caller span; its origin load is in that trace', async () => {
    const caller = await tracer.startActiveSpan('POST /v1/targets/catalog-top/run', async (span) => {
      await service.run('catalog-top')
      span.end()
      return span
    })
    const load = loadOf('/catalog/top')
    expect(load.traceId).toBe(caller.spanContext().traceId)
    const run = ancestors(load.client).find((span) => span.name === 'warmer.run')
    expect(run?.attributes).toMatchObject({ 'strata.warm.target': 'catalog-top', 'strata.warm.trigger': 'manual' })
    expect(parentOf(run!)).toBe(caller.spanContext().spanId)
  })

  const report = (key: string): HotKeysEvent => ({ namespace: 'catalog', keys: [{ key, count: 10 }], windowMs: 60_000, at: Date.now() })
  const publish = (key: string) =>
    publishEvents(transport, hotKeysTopic, [createEvent({ type: 'strata.hot-keys.v1', source: 'test/analytics', subject: 'catalog', data: report(key) })])

  it("a hot-keys report warms under its producer's trace; a report from outside any trace warms in a root span of its own", async () => {
    const producer = await tracer.startActiveSpan('analytics report', async (span) => {
      await publish('hot')
      span.end()
      return span
    })
    await eventually(() => expect(loads.has('/catalog/hot')).toBe(true), 10_000)
    const load = loadOf('/catalog/hot')
    expect(load.traceId).toBe(producer.spanContext().traceId)
    const chain = ancestors(load.client)
    const warm = chain.find((span) => span.name === 'warmer.hot-keys')
    expect(warm?.attributes).toMatchObject({ 'strata.namespace': 'catalog', 'strata.warm.keys': 1 })
    expect(chain.find((span) => span.name === `${hotKeysTopic} process`)?.kind).toBe(SpanKind.CONSUMER)
    expect(chain.at(-1)?.spanContext().spanId).toBe(producer.spanContext().spanId)

    await publish('untraced')
    await eventually(() => expect(loads.has('/catalog/untraced')).toBe(true), 10_000)
    const untraced = loadOf('/catalog/untraced')
    expect(untraced.traceId).not.toBe(producer.spanContext().traceId)
    expect(ancestors(untraced.client).at(-1)?.name).toBe('warmer.hot-keys')
  })
})
