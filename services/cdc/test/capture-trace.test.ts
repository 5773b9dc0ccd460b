import { MemoryTransport, consumeEvents, type EventEnvelope } from '@strata/bus'
import { SpanKind, startSpanRecorder } from '@strata/telemetry/testing'
import { eventually, requirePostgres, servers, uniqueName } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCdc } from '../src/app.js'
import { CaptureFixture } from './support/capture-fixture.js'

/**
 * A captured change starts a trace: each published batch is a root span `cdc.capture` (a row change has no caller to
 * continue), its events carry that trace, and a consumer of the table-change topic (the invalidator, a db-cache
 * follower) continues it. Real logical replication from PostgreSQL; the in-process bus.
 */
describe('cdc: a captured change is one trace from the capture to its consumers', () => {
  const recorder = startSpanRecorder()
  const fixture = new CaptureFixture(servers.postgresUrl)
  const transport = new MemoryTransport()
  const consumed: Array<{ event: EventEnvelope; traceId: string | undefined }> = []
  let capture: ReturnType<typeof buildCdc>

  beforeAll(async () => {
    await requirePostgres()
    await fixture.create(3)
    await consumeEvents(transport, fixture.topic, { group: uniqueName('follower'), startFrom: 'earliest' }, (event) => {
      consumed.push({ event, traceId: recorder.activeTraceId() })
      return Promise.resolve()
    })
    capture = buildCdc({ transport, postgresUrl: fixture.url, slot: fixture.slot, publication: fixture.publication, tables: [fixture.table], topic: fixture.topic, instanceId: 'test', log: () => undefined })
    await capture.start()
  }, 60_000)

  afterAll(async () => {
    await capture?.stop().catch(() => undefined)
    await transport.close()
    await fixture.drop()
    await recorder.shutdown()
  })

  it('publishes under a root cdc.capture span; the consumer runs in its trace, under the producer span', async () => {
    await fixture.pool.query(`UPDATE ${fixture.table} SET balance = balance + 1 WHERE id = 2`)
    await eventually(() => expect(consumed).toHaveLength(1), 30_000)
    const captureSpan = await eventuallyFound(() => recorder.spans().find((span) => span.name === 'cdc.capture'))
    expect(captureSpan.parentSpanContext).toBeUndefined()
    expect(captureSpan.attributes).toMatchObject({ 'strata.cdc.slot': fixture.slot, 'strata.cdc.transactions': 1, 'messaging.batch.message_count': 1 })
    const traceId = captureSpan.spanContext().traceId
    const [{ event, traceId: handlerTraceId }] = consumed as [(typeof consumed)[0]]
    expect(event.traceparent?.split('-')[1]).toBe(traceId)
    expect(handlerTraceId).toBe(traceId)
    const spans = recorder.trace(traceId)
    const publish = spans.find((span) => span.name === `${fixture.topic} publish`)
    expect(publish?.kind).toBe(SpanKind.PRODUCER)
    expect(publish?.parentSpanContext?.spanId).toBe(captureSpan.spanContext().spanId)
    const process = spans.find((span) => span.name === `${fixture.topic} process`)
    expect(process?.kind).toBe(SpanKind.CONSUMER)
    expect(process?.parentSpanContext?.spanId).toBe(publish!.spanContext().spanId)
  }, 60_000)
})

async function eventuallyFound<T>(find: () => T | undefined): Promise<T> {
  let found: T | undefined
  await eventually(() => {
    found = find()
    expect(found).toBeDefined()
  }, 10_000)
  return found!
}
