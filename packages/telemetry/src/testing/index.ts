// Test helpers: a real OTLP/HTTP receiver for services run as processes, an in-memory recorder for in-process tests.
export { OtlpReceiver, SPAN_KIND, type ReceivedSpan } from './otlp-receiver.js'
export { startSpanRecorder, type RecordedSpan, type SpanRecorder } from './span-recorder.js'
export { SpanKind } from '@opentelemetry/api'
