import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, isSpanContextValid, propagation, trace, type Context, type Link, type Span, type SpanContext } from '@opentelemetry/api'

// Through @opentelemetry/api only: a no-op until a service starts the SDK (@strata/telemetry).
const tracer = trace.getTracer('@strata/queue')

const SYSTEM = 'strata.write-behind'

/**
 * Runs the buffer add of one write in a PRODUCER span `<queue> publish`, a child of the caller's span (the gateway's
 * PUT), and hands `put` that span's W3C traceparent to store beside the write: the flusher continues the trace from
 * there. Outside any trace nothing is opened and nothing stored (a background write opens no trace of its own); under
 * a caller that is not sampled, its context is stored as it is, so the flush honours the same decision.
 * Keys are not recorded: a namespace may hash them (`security.hashKeys`), and the namespace is enough to find a write.
 */
export async function withBufferAddSpan<T>(queue: string, namespace: string, put: (traceparent: string | undefined) => Promise<T>): Promise<T> {
  const caller = trace.getActiveSpan()
  if (caller === undefined || !isSpanContextValid(caller.spanContext())) return put(undefined)
  if (!caller.isRecording()) return put(traceparentOf(context.active()))
  const span = tracer.startSpan(`${queue} publish`, {
    kind: SpanKind.PRODUCER,
    attributes: { 'messaging.system': SYSTEM, 'messaging.destination.name': queue, 'messaging.operation.type': 'send', 'strata.namespace': namespace },
  })
  const inSpan = trace.setSpan(context.active(), span)
  try {
    const result = await context.with(inSpan, () => put(traceparentOf(inSpan)))
    span.end()
    return result
  } catch (error) {
    fail(span, error)
    span.end()
    throw error
  }
}

/** A write the flusher moves, with the context its producer stored (see `withBufferAddSpan`). */
export interface TracedWrite {
  namespace: string
  /** When the write was acknowledged (epoch ms). */
  at: number
  traceparent?: string | undefined
}

export interface FlushTrace<W> {
  /** Runs the flush (the origin write) inside the batch span, so the origin's client spans are its children. */
  run<T>(work: () => Promise<T>): Promise<T>
  /** Ends every span: `rejected` writes and, if given, the whole batch's `error` mark their spans failed. */
  end(outcome: { rejected?: ReadonlyMap<W, Error>; error?: unknown }): void
}

/**
 * Traces one flush of a batch of buffered writes, which may come from many requests, each its own trace.
 *
 * - The batch span `<queue> flush` (CONSUMER) links to every write's producer span, as OpenTelemetry's messaging
 *   conventions model a batch. When all traced writes of the batch belong to one trace (a lone write, a bulk write of
 *   one request), the span is also that trace's child: the request's trace then holds the PostgreSQL statement itself.
 *   A batch mixing traces is a root of its own rather than the child of an arbitrary one of them: a caller's trace
 *   would otherwise show hundreds of other callers' writes and a latency that is not its own.
 * - Each traced write whose trace the batch span did not join gets a span `<queue> flush write` (CONSUMER) in its
 *   producer's trace, linked to the batch span, from the start of the flush until the origin took (or refused) it:
 *   every request's trace shows when its write reached the origin, and the link leads to the statement that did it.
 *
 * A key written several times before a flush carries its latest write's context (the buffer coalesces in place):
 * the earlier writes' traces end at their `publish` span, as their values never reach the origin.
 */
export function startFlushTrace<W extends TracedWrite>(queue: string, writes: readonly W[], now: number): FlushTrace<W> {
  const producers = new Map<W, { context: Context; span: SpanContext }>()
  for (const write of writes) {
    if (write.traceparent === undefined) continue
    const extracted = propagation.extract(ROOT_CONTEXT, { traceparent: write.traceparent })
    const span = trace.getSpanContext(extracted)
    if (span !== undefined && isSpanContextValid(span)) producers.set(write, { context: extracted, span })
  }
  const traces = new Set([...producers.values()].map((producer) => producer.span.traceId))
  const links: Link[] = [...producers.values()].map((producer) => ({ context: producer.span }))
  const single = traces.size === 1 ? [...producers.values()].at(-1) : undefined
  const parent = single?.context ?? ROOT_CONTEXT
  const attributes = { 'messaging.system': SYSTEM, 'messaging.destination.name': queue, 'messaging.operation.type': 'process' }
  const batch = tracer.startSpan(`${queue} flush`, { kind: SpanKind.CONSUMER, links, attributes: { ...attributes, 'messaging.batch.message_count': writes.length } }, parent)
  const perWrite = new Map<W, Span>()
  for (const [write, producer] of producers) {
    if (producer.span.traceId === single?.span.traceId) continue
    perWrite.set(
      write,
      tracer.startSpan(
        `${queue} flush write`,
        { kind: SpanKind.CONSUMER, links: [{ context: batch.spanContext() }], attributes: { ...attributes, 'strata.namespace': write.namespace, 'strata.write_behind.lag_ms': Math.max(0, now - write.at) } },
        producer.context,
      ),
    )
  }
  return {
    run: (work) => context.with(trace.setSpan(parent, batch), work),
    end({ rejected, error }) {
      for (const [write, span] of perWrite) {
        const failure = error ?? rejected?.get(write)
        if (failure !== undefined) fail(span, failure)
        span.end()
      }
      if (error !== undefined) fail(batch, error)
      else if (rejected !== undefined && rejected.size > 0) batch.setAttribute('strata.write_behind.rejected', rejected.size)
      batch.end()
    },
  }
}

function traceparentOf(at: Context): string | undefined {
  const carrier: Record<string, string> = {}
  propagation.inject(at, carrier)
  return carrier.traceparent
}

function fail(span: Span, error: unknown): void {
  const failure = error instanceof Error ? error : new Error(String(error))
  span.recordException(failure)
  span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message })
}
