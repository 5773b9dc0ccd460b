import { SpanKind, trace } from '@opentelemetry/api'
import { MemoryTransport, TOPICS, consumeEvents, createEvent, publishEvents } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { MemoryJobQueue, MemoryPendingWrites, startFlushTrace, writeBehindQueue, type PendingWrite } from '@strata/queue'
import { BullmqJobQueue } from '@strata/queue/bullmq'
import { eventually, requireKafka, requireQueueRedis, uniqueName } from '@strata/testkit'
import { node, tracing } from '@opentelemetry/sdk-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * W3C trace context across the bus (both adapters: Kafka for real, in-process) and BullMQ (real queue Redis): the
 * consumer's span is a child of the producer's span, which is a child of the caller's. An in-memory exporter
 * records the spans of this process.
 */
describe('trace context through Kafka, the in-process bus, BullMQ and the in-process queue', () => {
  const exporter = new tracing.InMemorySpanExporter()
  const provider = new node.NodeTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] })
  const tracer = trace.getTracer('propagation-test')

  beforeAll(() => {
    provider.register()
  })
  afterAll(() => provider.shutdown())

  const spans = () => exporter.getFinishedSpans()
  const spanNamed = (name: string) => spans().find((span) => span.name === name)

  for (const adapter of ['kafka', 'memory'] as const) {
    it(`${adapter}: consumer span → producer span → caller span; the handler runs inside the consumer span`, async () => {
      const transport = adapter === 'kafka' ? new KafkaTransport({ brokers: await requireKafka(), clientId: 'propagation-test', log: () => undefined }) : new MemoryTransport()
      const topic = uniqueName(`test.trace.${adapter}`)
      try {
        let handlerTraceId: string | undefined
        let envelopeTraceparent: string | undefined
        await consumeEvents(transport, topic, { group: uniqueName('g'), startFrom: 'earliest' }, (event) => {
          handlerTraceId = trace.getActiveSpan()?.spanContext().traceId
          envelopeTraceparent = event.traceparent
          return Promise.resolve()
        })
        const caller = await tracer.startActiveSpan('caller', async (span) => {
          await publishEvents(transport, topic, [createEvent({ type: 'test.happened', source: 'test', data: {} })])
          span.end()
          return span
        })
        await eventually(() => expect(spanNamed(`${topic} process`)).toBeDefined(), 30_000)
        const producer = spanNamed(`${topic} publish`)!
        const consumer = spanNamed(`${topic} process`)!
        expect(producer.kind).toBe(SpanKind.PRODUCER)
        expect(consumer.kind).toBe(SpanKind.CONSUMER)
        expect(producer.parentSpanContext?.spanId).toBe(caller.spanContext().spanId)
        expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId)
        expect(consumer.spanContext().traceId).toBe(caller.spanContext().traceId)
        expect(handlerTraceId).toBe(caller.spanContext().traceId)
        // The envelope records the caller's context (it was created inside the caller's span).
        expect(envelopeTraceparent).toBe(`00-${caller.spanContext().traceId}-${caller.spanContext().spanId}-01`)
      } finally {
        await transport.close()
      }
    }, 60_000)
  }

  it('a publish outside any trace opens no span and carries no context', async () => {
    const transport = new MemoryTransport()
    const topic = uniqueName('test.untraced')
    const headers: Record<string, string>[] = []
    await transport.subscribe(topic, { group: 'g', startFrom: 'earliest' }, (message) => {
      headers.push(message.headers)
      return Promise.resolve()
    })
    await publishEvents(transport, topic, [createEvent({ type: 'test.happened', source: 'test', data: {} })])
    await eventually(() => expect(headers).toHaveLength(1), 5_000)
    expect(headers[0]!.traceparent).toBeUndefined()
    expect(spans().some((span) => span.name.startsWith(topic))).toBe(false)
    await transport.close()
    expect(TOPICS.access).toBe('strata.access.v1')
  })

  for (const adapter of ['bullmq', 'memory'] as const) {
    it(`${adapter}: the worker span is a child of the span that added the job`, async () => {
      const name = uniqueName('trace-jobs')
      const queue = adapter === 'bullmq' ? new BullmqJobQueue<{ n: number }>(name, { url: await requireQueueRedis() }) : new MemoryJobQueue<{ n: number }>(name)
      try {
        let workerTraceId: string | undefined
        const worker = queue.process((jobs) => {
          workerTraceId = trace.getActiveSpan()?.spanContext().traceId
          expect(jobs[0]!.data.n).toBe(1)
          return Promise.resolve()
        })
        const caller = await tracer.startActiveSpan('enqueue', async (span) => {
          await queue.add({ n: 1 })
          span.end()
          return span
        })
        await eventually(() => expect(spanNamed(`${name} process`)).toBeDefined(), 30_000)
        const processed = spanNamed(`${name} process`)!
        expect(processed.kind).toBe(SpanKind.CONSUMER)
        expect(processed.parentSpanContext?.spanId).toBe(caller.spanContext().spanId)
        expect(workerTraceId).toBe(caller.spanContext().traceId)
        await worker.close()
      } finally {
        await queue.close()
      }
    }, 60_000)
  }
  describe('write-behind: buffer add → flush', () => {
    const read = async (pending: MemoryPendingWrites, keys: string[]): Promise<PendingWrite[]> =>
      (await pending.read(keys.map((key) => ({ namespace: 'accounts', key })))).filter((write) => write !== undefined)
    const write = (key: string) => ({ namespace: 'accounts', key, value: { key }, version: Date.now() * 1000, at: Date.now() })

    it("stores the publish span's context with the write; the flush of a one-trace batch is its child, and the origin call runs inside", async () => {
      const name = uniqueName('wb-trace')
      const pending = new MemoryPendingWrites()
      const queue = writeBehindQueue({ name, pending, maxDepth: 0, maxLagMs: 0 })
      const caller = await tracer.startActiveSpan('PUT', async (span) => {
        await queue.enqueue(write('a'))
        span.end()
        return span
      })
      const publish = spanNamed(`${name} publish`)!
      expect(publish.kind).toBe(SpanKind.PRODUCER)
      expect(publish.parentSpanContext?.spanId).toBe(caller.spanContext().spanId)
      expect(publish.attributes).toMatchObject({ 'messaging.destination.name': name, 'strata.namespace': 'accounts' })
      const [stored] = await read(pending, ['a'])
      expect(stored!.traceparent).toBe(`00-${caller.spanContext().traceId}-${publish.spanContext().spanId}-01`)

      const flush = startFlushTrace(name, [stored!], Date.now())
      const originTraceId = await flush.run(() => Promise.resolve(trace.getActiveSpan()?.spanContext().traceId))
      flush.end({})
      const batch = spanNamed(`${name} flush`)!
      expect(batch.kind).toBe(SpanKind.CONSUMER)
      expect(batch.parentSpanContext?.spanId).toBe(publish.spanContext().spanId)
      expect(batch.links.map((link) => link.context.spanId)).toEqual([publish.spanContext().spanId])
      expect(originTraceId).toBe(caller.spanContext().traceId)
      expect(spanNamed(`${name} flush write`)).toBeUndefined()
    })

    it('a batch mixing traces is a root linked to every producer; each write gets a span in its own trace; a refused write fails its span', async () => {
      const name = uniqueName('wb-mixed')
      const pending = new MemoryPendingWrites()
      const queue = writeBehindQueue({ name, pending, maxDepth: 0, maxLagMs: 0 })
      const callers = await Promise.all(
        ['a', 'b'].map((key) =>
          tracer.startActiveSpan(`PUT ${key}`, { root: true }, async (span) => {
            await queue.enqueue(write(key))
            span.end()
            return span
          }),
        ),
      )
      await queue.enqueue(write('untraced'))
      const writes = await read(pending, ['a', 'b', 'untraced'])
      expect(writes[2]!.traceparent).toBeUndefined()
      const flush = startFlushTrace(name, writes, Date.now())
      await flush.run(() => Promise.resolve())
      flush.end({ rejected: new Map([[writes[1]!, new Error('constraint violated')]]) })

      const batch = spanNamed(`${name} flush`)!
      expect(batch.parentSpanContext).toBeUndefined()
      expect(callers.map((caller) => caller.spanContext().traceId)).not.toContain(batch.spanContext().traceId)
      const publishes = spans().filter((span) => span.name === `${name} publish`)
      expect(publishes).toHaveLength(2)
      expect(batch.links.map((link) => link.context.spanId).sort()).toEqual(publishes.map((span) => span.spanContext().spanId).sort())
      expect(batch.attributes['messaging.batch.message_count']).toBe(3)
      const perWrite = spans().filter((span) => span.name === `${name} flush write`)
      expect(perWrite.map((span) => span.spanContext().traceId).sort()).toEqual(callers.map((caller) => caller.spanContext().traceId).sort())
      for (const span of perWrite) {
        expect(span.links[0]!.context.spanId).toBe(batch.spanContext().spanId)
        const refused = span.spanContext().traceId === callers[1]!.spanContext().traceId
        expect(span.status.code).toBe(refused ? 2 : 0)
      }
    })
  })
})
