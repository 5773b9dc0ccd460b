import type { TSchema } from '@sinclair/typebox'
import { EventEnvelopeSchema } from '../envelope/event-envelope.js'
import { EVENT_HEADERS } from '../envelope/event-codec.js'
import { STRATA_EVENTS, type StrataEventType } from '../events/strata-events.js'
import { StrataError } from '@strata/core'
import { topicDeclarationProblems, type AnyTopicUse, type TopicId } from '../contract/topic-use.js'
import { TOPICS } from '../topics.js'

/** What each Strata topic carries. Who produces and consumes it comes from the components' TopicUse declarations. */
const TOPIC_PURPOSE: Record<TopicId, string> = {
  invalidations:
    "Invalidations every cache instance applies to its L1. Broadcast: each instance reads with its own consumer group. With fastInvalidation 'redis' the same envelopes also go, best effort, over the Redis pub/sub channel `<prefix>:strata.invalidations.v1` (no headers: trace context is in the envelope).",
  invalidationRecords: 'One record per invalidation the invalidator carried out.',
  access: 'Sampled cache accesses.',
  errors: 'Errors from every service (never a cached value).',
  alerts: 'Alert lifecycle (pending, firing, resolved).',
  audit: 'Administrative and security-relevant actions (each also a row of the hash-chained audit log).',
  tableChanges: 'One event per table per PostgreSQL transaction, read from logical replication (pgoutput).',
  hotKeys: 'Hot keys per namespace, for warming.',
  warming: 'Progress and results of warming runs.',
}

const HEADERS_SCHEMA = {
  type: 'object',
  properties: {
    [EVENT_HEADERS.contentType]: { type: 'string', const: 'application/cloudevents+json; charset=UTF-8' },
    [EVENT_HEADERS.id]: { type: 'string', description: 'CloudEvents id (Kafka protocol binding)' },
    [EVENT_HEADERS.type]: { type: 'string', description: 'CloudEvents type' },
    [EVENT_HEADERS.source]: { type: 'string', description: 'CloudEvents source' },
    [EVENT_HEADERS.traceparent]: { type: 'string', description: 'W3C trace context' },
  },
}

/** The envelope with `type` fixed and `data` replaced by the event's own schema. */
function payloadOf(type: string, data: TSchema | Record<string, unknown>): Record<string, unknown> {
  const envelope = structuredClone(EventEnvelopeSchema) as unknown as { properties: Record<string, unknown>; required?: string[] }
  return { ...envelope, properties: { ...envelope.properties, type: { type: 'string', const: type }, data } }
}

/** Drops TypeBox's symbol-keyed metadata and undefined fields, so the document is plain JSON. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

function messageName(type: string): string {
  return type.replace(/[^A-Za-z0-9]+/g, '_')
}

function operationId(component: string): string {
  return component.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '')
}

function list(names: readonly string[]): string {
  return names.length === 0 ? 'none' : names.join(', ')
}

/**
 * The AsyncAPI 3.0 document of Strata's events, generated from the same TypeBox schemas the services validate with:
 * one channel per topic in TOPICS, one message per event type in STRATA_EVENTS, one send or receive operation per
 * component and topic its TopicUse declares (`uses`: every component's, collected by services/platform), plus the
 * user's domain-event topics that the invalidator reads (any producer may publish there). A topic nobody declares
 * is written as such ("Consumers: none"), never filled in; topicContractProblems is what refuses such a platform.
 */
export function buildAsyncApiDocument(uses: readonly AnyTopicUse[], version = '0.1.0'): Record<string, unknown> {
  const problems = topicDeclarationProblems(uses)
  if (problems.length > 0) throw new StrataError('E_INVALID_OPTION', `The topic declarations cannot be read: ${problems.join('; ')}`)
  const channels: Record<string, unknown> = {}
  const operations: Record<string, unknown> = {}
  const messages: Record<string, unknown> = {}

  for (const [type, event] of Object.entries(STRATA_EVENTS) as [StrataEventType, (typeof STRATA_EVENTS)[StrataEventType]][]) {
    messages[messageName(type)] = {
      name: type,
      title: type,
      contentType: 'application/cloudevents+json',
      headers: HEADERS_SCHEMA,
      payload: payloadOf(type, event.data),
    }
  }
  for (const [id, address] of Object.entries(TOPICS) as [TopicId, string][]) {
    const carried = Object.entries(STRATA_EVENTS).filter(([, event]) => event.topic === address)
    const producers = uses.filter((use) => Object.hasOwn(use.produces, id))
    const consumers = uses.filter((use) => Object.hasOwn(use.consumes, id))
    channels[id] = {
      address,
      description: `${TOPIC_PURPOSE[id]} Producers: ${list(producers.map((use) => use.component))}. Consumers: ${list(consumers.map((use) => use.component))}. Messages that cannot be processed go to ${address}.dlq.`,
      messages: Object.fromEntries(carried.map(([type]) => [messageName(type), { $ref: `#/components/messages/${messageName(type)}` }])),
    }
    for (const use of producers) {
      operations[`${operationId(use.component)}_sends_${id}`] = { action: 'send', channel: { $ref: `#/channels/${id}` }, summary: `${use.component}: ${use.produces[id] ?? ''}` }
    }
    for (const use of consumers) {
      operations[`${operationId(use.component)}_receives_${id}`] = { action: 'receive', channel: { $ref: `#/channels/${id}` }, summary: `${use.component}: ${use.consumes[id] ?? ''}` }
    }
  }

  messages.domainEvent = {
    name: 'domain event',
    title: 'A domain event (your own type, e.g. product.updated)',
    contentType: 'application/cloudevents+json',
    headers: HEADERS_SCHEMA,
    payload: payloadOf('product.updated', { type: 'object', additionalProperties: true, description: 'Your event data; invalidation rules read fields from it' }),
  }
  channels.domainEvents = {
    address: '{topic}',
    description:
      "Your services' own topics, listed in the invalidator's rules file (`topics:`). Any Kafka producer may publish a CloudEvents JSON envelope here; the invalidator's rules turn each event type into invalidations (docs/guides/integrations.md).",
    parameters: { topic: { description: 'A topic named in the invalidator rules file' } },
    messages: { domainEvent: { $ref: '#/components/messages/domainEvent' } },
  }
  operations.publish_domainEvents = { action: 'send', channel: { $ref: '#/channels/domainEvents' }, summary: 'Produced by your services (any Kafka client)' }
  operations.consume_domainEvents = { action: 'receive', channel: { $ref: '#/channels/domainEvents' }, summary: 'Consumed by the invalidator (one consumer group)' }

  return plain({
    asyncapi: '3.0.0',
    info: {
      title: 'Strata events',
      version,
      description:
        "Every event on Strata's bus is a CloudEvents 1.0 envelope in structured JSON mode (the whole envelope is the Kafka message value), keyed by cache key or namespace so that events about one key stay ordered.",
    },
    defaultContentType: 'application/cloudevents+json',
    servers: { local: { host: '127.0.0.1:9092', protocol: 'kafka', description: 'STRATA_KAFKA_BROKERS (loopback default)' } },
    channels,
    operations,
    components: { messages },
  })
}
