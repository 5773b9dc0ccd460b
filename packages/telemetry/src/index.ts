// @strata/telemetry — one OpenTelemetry setup for every Strata service. Start services with
// `--import @strata/telemetry/register` (ESM auto-instrumentation); libraries only use @opentelemetry/api.
export { startTelemetry, currentTelemetry, strataMeter, type Telemetry, type TelemetryOptions } from './telemetry-sdk.js'
export { createLogger, loggerOptions, traceMixin, type TraceFields } from './trace-logger.js'
export { withSpan } from './with-span.js'
