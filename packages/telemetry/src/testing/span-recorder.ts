import { trace, type Tracer } from '@opentelemetry/api'
import { registerInstrumentations } from '@opentelemetry/instrumentation'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { node, tracing } from '@opentelemetry/sdk-node'

export type RecordedSpan = tracing.ReadableSpan

export interface SpanRecorder {
  /** A tracer on the recording provider, for a test's own caller spans. */
  readonly tracer: Tracer
  /** Every span ended so far in this process. */
  spans(): RecordedSpan[]
  /** The trace id of the span active where this is called (a handler's), undefined outside any. */
  activeTraceId(): string | undefined
  /** The ended spans of one trace. */
  trace(traceId: string): RecordedSpan[]
  shutdown(): Promise<void>
}

/**
 * Records this process's spans in memory, for in-process tests of a service's own tracing: the real tracer provider
 * with AsyncLocalStorage context and the W3C propagator, plus the undici instrumentation (fetch), which needs no
 * loader hook because it listens on diagnostics channels. Modules patched at load (ioredis, pg, http) are not
 * instrumented here; tests of those run the service's main.ts with OtlpReceiver instead.
 */
export function startSpanRecorder(): SpanRecorder {
  const exporter = new tracing.InMemorySpanExporter()
  const provider = new node.NodeTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] })
  provider.register()
  const unregister = registerInstrumentations({ tracerProvider: provider, instrumentations: [new UndiciInstrumentation()] })
  return {
    tracer: trace.getTracer('strata-test'),
    spans: () => exporter.getFinishedSpans(),
    activeTraceId: () => trace.getActiveSpan()?.spanContext().traceId,
    trace: (traceId) => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId),
    async shutdown() {
      unregister()
      await provider.shutdown()
    },
  }
}
