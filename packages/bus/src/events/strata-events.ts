import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { TOPICS } from '../topics.js'

const Name = Type.String({ minLength: 1, maxLength: 256 })
const EpochMs = Type.Number({ minimum: 0 })

/** `strata.invalidation.v1`: core's InvalidationMessage, what every cache instance applies to its L1. */
export const InvalidationEventData = Type.Object({
  origin: Name,
  namespace: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
  kind: Type.Union([Type.Literal('keys'), Type.Literal('prefix'), Type.Literal('delete-tags'), Type.Literal('expire-tags'), Type.Literal('clear')]),
  keys: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  tags: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  prefix: Type.Optional(Type.String({ minLength: 1 })),
  at: EpochMs,
})

export const InvalidationTargetsSchema = Type.Object({
  keys: Type.Optional(Type.Array(Type.String())),
  tags: Type.Optional(Type.Array(Type.String())),
  prefixes: Type.Optional(Type.Array(Type.String())),
  all: Type.Optional(Type.Boolean()),
})

/** `strata.invalidation.record.v1`: what one invalidation did (the invalidator's InvalidationRecord). */
export const InvalidationRecordEventData = Type.Object({
  id: Name,
  /** The domain event that caused it, or undefined for manual and scheduled ones. */
  sourceEventId: Type.Optional(Type.String()),
  sourceEventType: Type.Optional(Type.String()),
  trigger: Type.Union([Type.Literal('event'), Type.Literal('manual'), Type.Literal('schedule')]),
  rule: Type.Optional(Type.String()),
  namespace: Type.String(),
  targets: InvalidationTargetsSchema,
  /** Entries removed from L2, where it is known (keys: counted before the delete; tags and prefixes: null). */
  entriesRemoved: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  /** From the domain event's `time` (or the request) to the end of the L2 delete and the bus publish. */
  latencyMs: Type.Number(),
  at: EpochMs,
})

/** `strata.access.v1`: one sampled cache access (keys hashed when the namespace is sensitive). */
export const AccessEventData = Type.Object({
  namespace: Name,
  key: Type.String(),
  operation: Type.Union([Type.Literal('get'), Type.Literal('set'), Type.Literal('delete')]),
  result: Type.Union([Type.Literal('hit'), Type.Literal('miss'), Type.Literal('stale'), Type.Literal('ok')]),
  tier: Type.Optional(Type.Union([Type.Literal('l1'), Type.Literal('l2'), Type.Literal('origin')])),
  latencyMs: Type.Number({ minimum: 0 }),
  at: EpochMs,
})

/** `strata.error.v1`: an error one service hit (never a cached value). */
export const ErrorEventData = Type.Object({
  service: Name,
  code: Type.String({ pattern: '^E_[A-Z0-9_]+$' }),
  message: Type.String(),
  namespace: Type.Optional(Type.String()),
  operation: Type.Optional(Type.String()),
  at: EpochMs,
})

/**
 * `strata.alert.v1`: an alert changed state (pending → firing → resolved). `alertId` is the alert's fingerprint (its
 * rule and labels), stable across the lifecycle and across restarts of the alerting service.
 */
export const AlertEventData = Type.Object({
  alertId: Name,
  rule: Name,
  state: Type.Union([Type.Literal('pending'), Type.Literal('firing'), Type.Literal('resolved')]),
  severity: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]),
  summary: Type.String(),
  value: Type.Optional(Type.Number()),
  labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  /** The notification group (values of the rule's groupBy labels). */
  groupKey: Type.Optional(Type.String()),
  /** When the condition started to hold (epoch ms). */
  activeSince: Type.Optional(EpochMs),
  at: EpochMs,
})

/** `strata.audit.v1`: who did what to which resource, and whether it was allowed. */
export const AuditEventData = Type.Object({
  actor: Name,
  action: Name,
  resource: Type.String(),
  outcome: Type.Union([Type.Literal('allowed'), Type.Literal('denied'), Type.Literal('failed')]),
  detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  at: EpochMs,
})

export type InvalidationEvent = Static<typeof InvalidationEventData>
export type InvalidationRecordEvent = Static<typeof InvalidationRecordEventData>
export type AccessEvent = Static<typeof AccessEventData>
export type ErrorEvent = Static<typeof ErrorEventData>
export type AlertEvent = Static<typeof AlertEventData>
export type AuditEvent = Static<typeof AuditEventData>

/** Every Strata event type, the topic it travels on and the schema of its `data`. */
export const STRATA_EVENTS = {
  'strata.invalidation.v1': { topic: TOPICS.invalidations, data: InvalidationEventData },
  'strata.invalidation.record.v1': { topic: TOPICS.invalidationRecords, data: InvalidationRecordEventData },
  'strata.access.v1': { topic: TOPICS.access, data: AccessEventData },
  'strata.error.v1': { topic: TOPICS.errors, data: ErrorEventData },
  'strata.alert.v1': { topic: TOPICS.alerts, data: AlertEventData },
  'strata.audit.v1': { topic: TOPICS.audit, data: AuditEventData },
} as const satisfies Record<string, { topic: string; data: TSchema }>

export type StrataEventType = keyof typeof STRATA_EVENTS

export interface StrataEventDataMap {
  'strata.invalidation.v1': InvalidationEvent
  'strata.invalidation.record.v1': InvalidationRecordEvent
  'strata.access.v1': AccessEvent
  'strata.error.v1': ErrorEvent
  'strata.alert.v1': AlertEvent
  'strata.audit.v1': AuditEvent
}

export function isStrataEventType(type: string): type is StrataEventType {
  return Object.hasOwn(STRATA_EVENTS, type)
}
