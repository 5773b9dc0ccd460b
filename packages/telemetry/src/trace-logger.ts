import { isSpanContextValid, trace } from '@opentelemetry/api'
import { pino, type Logger, type LoggerOptions } from 'pino'

export interface TraceFields {
  trace_id?: string
  span_id?: string
  trace_flags?: string
}

/**
 * pino mixin adding the active span's ids to every line, so a log line leads to its trace (and back). Costs one
 * context lookup per line; lines outside any span get nothing.
 */
export function traceMixin(): TraceFields {
  const context = trace.getActiveSpan()?.spanContext()
  if (context === undefined || !isSpanContextValid(context)) return {}
  return { trace_id: context.traceId, span_id: context.spanId, trace_flags: `0${context.traceFlags.toString(16)}` }
}

/** pino options for a service: its name on every line, trace ids from the active span. Give them to Fastify's `logger` too. */
export function loggerOptions(service: string, options: LoggerOptions = {}): LoggerOptions {
  return {
    level: 'info',
    ...options,
    base: { service, ...(options.base ?? {}) },
    mixin: (context, level, logger) => ({ ...traceMixin(), ...(options.mixin?.(context, level, logger) ?? {}) }),
  }
}

/** The JSON logger every service uses (to stdout). */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  return pino(loggerOptions(service, options))
}
