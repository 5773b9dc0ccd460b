import { randomUUID } from 'node:crypto'
import { Type, type Static } from '@sinclair/typebox'
import { activeTraceparent } from '../tracing/message-tracing.js'

/** W3C trace context `traceparent` (version-traceid-parentid-flags). */
export const TRACEPARENT_PATTERN = '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'
// RFC 3339 date-time, as CloudEvents requires for `time`; the value must also parse (checked in validation).
const RFC3339_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$'

/**
 * The envelope of every event on the bus, after CloudEvents 1.0 in structured JSON mode: the whole envelope is the
 * message value. `type` names the event and its version (`strata.invalidation.v1`, or a user's `order.updated`);
 * `source` names the producer; `subject` what the event is about (an order id, a namespace).
 */
export const EventEnvelopeSchema = Type.Object(
  {
    specversion: Type.Literal('1.0'),
    id: Type.String({ minLength: 1, maxLength: 256 }),
    type: Type.String({ minLength: 1, maxLength: 256 }),
    source: Type.String({ minLength: 1, maxLength: 1024 }),
    time: Type.String({ pattern: RFC3339_PATTERN }),
    subject: Type.Optional(Type.String({ maxLength: 1024 })),
    datacontenttype: Type.Optional(Type.Literal('application/json')),
    dataschema: Type.Optional(Type.String()),
    data: Type.Unknown(),
    traceparent: Type.Optional(Type.String({ pattern: TRACEPARENT_PATTERN })),
  },
  // CloudEvents allows extension attributes; they are carried, not checked.
  { additionalProperties: true },
)

export interface EventEnvelope<D = unknown> extends Omit<Static<typeof EventEnvelopeSchema>, 'data'> {
  data: D
}

export interface NewEvent<D> {
  type: string
  source: string
  data: D
  subject?: string
  traceparent?: string
  /** Defaults to a random UUID; give your own to make a retried publish idempotent downstream. */
  id?: string
  /** Defaults to now. */
  time?: Date | string
}

/**
 * A complete envelope from the fields that matter; the rest gets CloudEvents defaults. `traceparent` defaults to the
 * active span's, so an event records the trace that caused it even after it leaves the bus (stored, replayed).
 */
export function createEvent<D>(event: NewEvent<D>): EventEnvelope<D> {
  const traceparent = event.traceparent ?? activeTraceparent()
  const time = event.time === undefined ? new Date().toISOString() : typeof event.time === 'string' ? event.time : event.time.toISOString()
  return {
    specversion: '1.0',
    id: event.id ?? randomUUID(),
    type: event.type,
    source: event.source,
    time,
    ...(event.subject === undefined ? {} : { subject: event.subject }),
    datacontenttype: 'application/json',
    data: event.data,
    ...(traceparent === undefined ? {} : { traceparent }),
  }
}
