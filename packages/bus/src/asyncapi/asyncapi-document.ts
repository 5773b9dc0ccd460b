import type { TSchema } from '@sinclair/typebox'
import { EventEnvelopeSchema } from '../envelope/event-envelope.js'
import { EVENT_HEADERS } from '../envelope/event-codec.js'
import { STRATA_EVENTS, type StrataEventType } from '../events/strata-events.js'
import { TOPICS } from '../topics.js'

/** What each Strata topic is for and who produces and consumes it (ARCHITECTURE.md's topic table). */
const TOPIC_ROLES: Record<keyof typeof TOPICS, { description: string; producers: string; consumers: string }> = {
  invalidations: {
    description: 'Invalidations every cache instance applies to its L1. Broadcast: each instance reads with its own consumer group.',
    producers: 'invalidator, gateway (admin and KV API), any @strata/core cache with a Kafka bus',
    consumers: 'every gateway and every embedded cache instance',
  },
  invalidationRecords: { description: 'One record per invalidation the invalidator carried out.', producers: 'invalidator', consumers: 'analytics' },
  access: { description: 'Sampled cache accesses.', producers: 'gateways', consumers: 'analytics' },
  errors: { description: 'Errors from every service (never a cached value).', producers: 'all services', consumers: 'analytics, alerting' },
  alerts: { description: 'Alert lifecycle.', producers: 'alerting', consumers: 'webhook delivery, console' },
  audit: { description: 'Administrative and security-relevant actions.', producers: 'gateway, admin paths', consumers: 'audit store' },
  tableChanges: {
    description: 'One event per table per PostgreSQL transaction, read from logical replication (pgoutput).',
    producers: 'cdc',
    consumers: 'invalidator (table-change rules), db-cache followers',
  },
  hotKeys: { description: 'Hot keys per namespace, for warming.', producers: 'analytics', consumers: 'warmer' },
  warming: { description: 'Progress and results of warming runs.', producers: 'warmer', consumers: 'analytics, console' },
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

/**
 * The AsyncAPI 3.0 document of Strata's events, generated from the same TypeBox schemas the services validate with:
 * one channel per topic in TOPICS, one message per event type in STRATA_EVENTS, plus the user's domain-event topics
 * that the invalidator reads (any producer may publish there).
 */
export function buildAsyncApiDocument(version = '0.1.0'): Record<string, unknown> {
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
  for (const [id, address] of Object.entries(TOPICS) as [keyof typeof TOPICS, string][]) {
    const carried = Object.entries(STRATA_EVENTS).filter(([, event]) => event.topic === address)
    const role = TOPIC_ROLES[id]
    channels[id] = {
      address,
      description: `${role.description} Producers: ${role.producers}. Consumers: ${role.consumers}. Messages that cannot be processed go to ${address}.dlq.`,
      messages: Object.fromEntries(carried.map(([type]) => [messageName(type), { $ref: `#/components/messages/${messageName(type)}` }])),
    }
    operations[`publish_${id}`] = { action: 'send', channel: { $ref: `#/channels/${id}` }, summary: `Produced by ${role.producers}` }
    operations[`consume_${id}`] = { action: 'receive', channel: { $ref: `#/channels/${id}` }, summary: `Consumed by ${role.consumers}` }
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
