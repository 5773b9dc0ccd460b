import { StrataError } from '@strata/core'
import type { IncomingMessage, OutgoingMessage, SubscribeOptions, Subscription, Transport } from '../transport/transport.js'
import type { EventEnvelope } from './event-envelope.js'
import { validateEvent } from './event-validation.js'

/** Message headers every event carries (CloudEvents Kafka binding names, plus W3C trace context). */
export const EVENT_HEADERS = {
  contentType: 'content-type',
  id: 'ce_id',
  type: 'ce_type',
  source: 'ce_source',
  traceparent: 'traceparent',
} as const

const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json; charset=UTF-8'

/** Validates and serialises an event; `key` partitions it (defaults to the subject). Throws E_EVENT_INVALID. */
export function encodeEvent(event: EventEnvelope, key?: string): OutgoingMessage {
  validateEvent(event)
  const partitionKey = key ?? event.subject
  return {
    ...(partitionKey === undefined ? {} : { key: partitionKey }),
    value: JSON.stringify(event),
    headers: {
      [EVENT_HEADERS.contentType]: STRUCTURED_CONTENT_TYPE,
      [EVENT_HEADERS.id]: event.id,
      [EVENT_HEADERS.type]: event.type,
      [EVENT_HEADERS.source]: event.source,
      ...(event.traceparent === undefined ? {} : { [EVENT_HEADERS.traceparent]: event.traceparent }),
    },
  }
}

/**
 * Parses and validates a received event. A `traceparent` only in the headers (a producer that sets the header and
 * not the attribute) is carried into the envelope. Throws E_EVENT_INVALID, which the transport dead-letters at once.
 */
export function decodeEvent(message: Pick<IncomingMessage, 'value' | 'headers'>): EventEnvelope {
  let parsed: unknown
  try {
    parsed = JSON.parse(message.value.toString('utf8'))
  } catch (error) {
    throw new StrataError('E_EVENT_INVALID', `Invalid JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
  if (typeof parsed === 'object' && parsed !== null && !('traceparent' in parsed)) {
    const header = message.headers[EVENT_HEADERS.traceparent]
    if (header !== undefined) (parsed as Record<string, unknown>).traceparent = header
  }
  validateEvent(parsed)
  return parsed
}

/** Validates every event first, so a bad one publishes nothing; then one publish for all. */
export async function publishEvents(transport: Transport, topic: string, events: readonly EventEnvelope[], key?: (event: EventEnvelope) => string | undefined): Promise<void> {
  const messages = events.map((event) => encodeEvent(event, key?.(event)))
  await transport.publish(topic, messages)
}

export type EventHandler = (event: EventEnvelope, message: IncomingMessage) => Promise<void>

/** Subscribes with validation on receipt: an invalid event never reaches `handler`, it goes to the dead-letter topic. */
export function consumeEvents(transport: Transport, topics: string | readonly string[], options: SubscribeOptions, handler: EventHandler): Promise<Subscription> {
  return transport.subscribe(topics, options, (message) => handler(decodeEvent(message), message))
}
