import { SpanStatusCode, trace, type Attributes } from '@opentelemetry/api'

/**
 * Runs `work` inside an active span named `name` on the `strata` tracer: background work a service starts itself (a
 * warm run, an alert evaluation) gets a root span, so what it calls (fetch, Redis, PostgreSQL, Kafka) joins one trace
 * and its log lines carry the trace id. A failure is recorded on the span and rethrown. A no-op without the SDK.
 */
export function withSpan<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
  return trace.getTracer('strata').startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work()
    } catch (error) {
      span.recordException(error instanceof Error ? error : new Error(String(error)))
      span.setStatus({ code: SpanStatusCode.ERROR })
      throw error
    } finally {
      span.end()
    }
  })
}
