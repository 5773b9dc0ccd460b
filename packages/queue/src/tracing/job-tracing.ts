import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Link } from '@opentelemetry/api'

// Through @opentelemetry/api only: a no-op until a service starts the SDK (@strata/telemetry).
const tracer = trace.getTracer('@strata/queue')

/** The caller's W3C traceparent, carried in the job data so the worker continues the trace; undefined outside one. */
export function activeTraceparent(): string | undefined {
  const carrier: Record<string, string> = {}
  propagation.inject(context.active(), carrier)
  return carrier.traceparent
}

function contextOf(traceparent: string) {
  return propagation.extract(ROOT_CONTEXT, { traceparent })
}

/**
 * Runs one handler call over a batch of jobs in a CONSUMER span: the first traced job's producer is the parent, the
 * other jobs' producers are links (one call serves several traces, as OpenTelemetry's messaging conventions model a
 * batch). A batch with no trace context runs without a span.
 */
export async function withJobsSpan<R>(queue: string, traceparents: ReadonlyArray<string | undefined>, run: () => Promise<R>): Promise<R> {
  const traced = traceparents.filter((tp): tp is string => tp !== undefined)
  const first = traced[0]
  if (first === undefined) return run()
  const parent = contextOf(first)
  const links: Link[] = traced.slice(1).flatMap((tp) => {
    const linked = trace.getSpanContext(contextOf(tp))
    return linked === undefined ? [] : [{ context: linked }]
  })
  const span = tracer.startSpan(
    `${queue} process`,
    { kind: SpanKind.CONSUMER, links, attributes: { 'messaging.system': 'bullmq', 'messaging.destination.name': queue, 'messaging.batch.message_count': traceparents.length } },
    parent,
  )
  try {
    return await context.with(trace.setSpan(parent, span), run)
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error))
    span.setStatus({ code: SpanStatusCode.ERROR })
    throw error
  } finally {
    span.end()
  }
}
