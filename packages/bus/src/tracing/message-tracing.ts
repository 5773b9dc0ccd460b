import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Span, type TextMapGetter } from '@opentelemetry/api'
import type { IncomingMessage, OutgoingMessage } from '../transport/transport.js'

// The bus traces itself through @opentelemetry/api only: a no-op until a service starts the SDK (@strata/telemetry).
const tracer = trace.getTracer('@strata/bus')

const headerGetter: TextMapGetter<Record<string, string>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
}

export interface PublishSpan {
  /** The messages with the producer span's W3C trace context in their headers. */
  messages: readonly OutgoingMessage[]
  end(error?: unknown): void
}

/**
 * A PRODUCER span for one publish call, a child of the caller's active span, injected into every message's headers
 * (`traceparent`, `tracestate`), so the consumer's span becomes its child. A publish outside any trace (a background
 * batch) starts none and leaves the headers as they are: the bus does not open a trace per batch of its own.
 */
export function startPublishSpan(system: string, topic: string, messages: readonly OutgoingMessage[]): PublishSpan {
  const parent = trace.getActiveSpan()
  if (parent === undefined || !parent.spanContext().traceId || !parent.isRecording()) return { messages, end: () => undefined }
  const span = tracer.startSpan(`${topic} publish`, {
    kind: SpanKind.PRODUCER,
    attributes: { 'messaging.system': system, 'messaging.destination.name': topic, 'messaging.operation.type': 'publish', 'messaging.batch.message_count': messages.length },
  })
  const spanContext = trace.setSpan(context.active(), span)
  const traced = messages.map((message) => {
    const headers = { ...message.headers }
    propagation.inject(spanContext, headers)
    return { ...message, headers }
  })
  return { messages: traced, end: (error) => endSpan(span, error) }
}

/**
 * Runs `handle` in a CONSUMER span whose parent is the trace context in the message headers, so what the handler
 * does (Redis deletes, further publishes) joins the producer's trace. A message without trace context gets no span.
 */
export async function withConsumeSpan<T>(system: string, groupId: string, message: Omit<IncomingMessage, 'attempt'>, handle: () => Promise<T>): Promise<T> {
  if (message.headers.traceparent === undefined) return handle()
  const parent = propagation.extract(ROOT_CONTEXT, message.headers, headerGetter)
  const span = tracer.startSpan(
    `${message.topic} process`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': system,
        'messaging.destination.name': message.topic,
        'messaging.operation.type': 'process',
        'messaging.consumer.group.name': groupId,
        'messaging.destination.partition.id': String(message.partition),
        'messaging.kafka.offset': message.offset,
        ...(message.key === undefined ? {} : { 'messaging.kafka.message.key': message.key }),
      },
    },
    parent,
  )
  try {
    const result = await context.with(trace.setSpan(parent, span), handle)
    endSpan(span)
    return result
  } catch (error) {
    endSpan(span, error)
    throw error
  }
}

/** The W3C `traceparent` of the active span, for an event envelope; undefined outside a trace. */
export function activeTraceparent(): string | undefined {
  const carrier: Record<string, string> = {}
  propagation.inject(context.active(), carrier)
  return carrier.traceparent
}

function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    const failure = error instanceof Error ? error : new Error(JSON.stringify(error))
    span.recordException(failure)
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message })
  }
  span.end()
}

/** Runs `fn` outside any trace: background work started from a request (a batch of many requests) is not its child. */
export function outsideTrace<T>(fn: () => T): T {
  return context.with(ROOT_CONTEXT, fn)
}
