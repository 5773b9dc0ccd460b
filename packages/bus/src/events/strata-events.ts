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

/**
 * `strata.invalidation.heartbeat.v1`: an instance's beat on one partition of `strata.invalidations.v1`. When the
 * instance reads its own beat back, it has read every invalidation appended to that partition before `at`.
 */
export const InvalidationHeartbeatEventData = Type.Object({
  origin: Name,
  partition: Type.Integer({ minimum: 0 }),
  at: EpochMs,
})

export const InvalidationTargetsSchema = Type.Object({
  keys: Type.Optional(Type.Array(Type.String())),
  tags: Type.Optional(Type.Array(Type.String())),
  /** Tags whose entries were made stale (served within grace while they refresh). */
  expireTags: Type.Optional(Type.Array(Type.String())),
  prefixes: Type.Optional(Type.Array(Type.String())),
  all: Type.Optional(Type.Boolean()),
  /** Proxy surrogate keys (with `upstream`). */
  surrogateKeys: Type.Optional(Type.Array(Type.String())),
  /** Proxy URL paths purged (with `upstream`). */
  urls: Type.Optional(Type.Array(Type.String())),
  /** The proxy purge was soft: its responses were marked stale (served within their stale windows while revalidating), not removed. */
  soft: Type.Optional(Type.Boolean()),
})

/**
 * `strata.invalidation.record.v1`: what one invalidation did — the one InvalidationRecord of @strata/invalidation,
 * the same whether the invalidator or a gateway carried it out.
 */
export const InvalidationRecordEventData = Type.Object({
  id: Name,
  /** The domain event that caused it, or undefined for manual and scheduled ones. */
  sourceEventId: Type.Optional(Type.String()),
  sourceEventType: Type.Optional(Type.String()),
  trigger: Type.Union([Type.Literal('event'), Type.Literal('manual'), Type.Literal('schedule'), Type.Literal('purge'), Type.Literal('subject')]),
  rule: Type.Optional(Type.String()),
  /** Who asked (`key:<id>`, `jwt:<sub>`, `anonymous`); absent for domain events from a topic and schedules. */
  actor: Type.Optional(Type.String()),
  /** null for proxy purges and subject purges (they span upstreams or every namespace). */
  namespace: Type.Union([Type.String(), Type.Null()]),
  /** The proxy upstream, for surrogate-key and URL purges. */
  upstream: Type.Optional(Type.String()),
  targets: InvalidationTargetsSchema,
  /** Entries removed from L2, counted as the dry run counts keys and prefixes just before the delete; null otherwise. */
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
  /** `coalesced`: a read that joined a load already under way on that gateway (single-flight); a hit for ratios. */
  result: Type.Union([Type.Literal('hit'), Type.Literal('miss'), Type.Literal('coalesced'), Type.Literal('stale'), Type.Literal('ok')]),
  tier: Type.Optional(Type.Union([Type.Literal('l1'), Type.Literal('l2'), Type.Literal('origin')])),
  latencyMs: Type.Number({ minimum: 0 }),
  /** Response body bytes, when known. */
  bytes: Type.Optional(Type.Integer({ minimum: 0 })),
  /** The namespace's sample rate when this access was sampled (1 when absent): analytics scales counts by 1/rate. */
  sampleRate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
  /** True when `key` is a hash of the key (the namespace's policy), never the key itself. */
  hashed: Type.Optional(Type.Boolean()),
  at: EpochMs,
})

/**
 * `strata.access.batch.v1`, also on `strata.access.v1`: what one gateway sampled over a short interval. Gateways
 * publish batches (one Kafka message per few hundred accesses) so sampling costs the hot path no round trip.
 */
export const AccessBatchEventData = Type.Object({
  /** The gateway instance. */
  instance: Name,
  accesses: Type.Array(AccessEventData, { maxItems: 10_000 }),
  /** Evictions from the gateway's L1 since the previous batch, by namespace (counted, not sampled). */
  evictions: Type.Optional(Type.Record(Type.String(), Type.Integer({ minimum: 0 }))),
  /** Samples dropped since the previous batch because the bus was slow (the publisher never blocks a request). */
  dropped: Type.Integer({ minimum: 0 }),
  /** The gateway's L1 capacity in entries (shared by its namespaces): what miss-ratio curves are read against. */
  l1MaxEntries: Type.Optional(Type.Integer({ minimum: 1 })),
})

/** `strata.error.v1`: an error one service hit (never a cached value). */
export const ErrorEventData = Type.Object({
  service: Name,
  code: Type.String({ pattern: '^E_[A-Z0-9_]+$' }),
  message: Type.String(),
  namespace: Type.Optional(Type.String()),
  operation: Type.Optional(Type.String()),
  /** The failed work was set aside (a dead-letter topic or queue) and will not be retried: someone must look. */
  deadLetter: Type.Optional(Type.Boolean()),
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

const KeyValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])

/**
 * `strata.table-change.v1`: what one committed transaction changed in one table, from PostgreSQL's logical
 * replication (one event per table per transaction, so a bulk update is one event, not a million). `keys` holds the
 * replica-identity columns of the changed rows (up to the capture's limit; `keysTruncated` says some were left out),
 * so rules may map them to row-level cache keys.
 */
export const TableChangeEventData = Type.Object({
  schema: Name,
  table: Name,
  inserts: Type.Integer({ minimum: 0 }),
  updates: Type.Integer({ minimum: 0 }),
  deletes: Type.Integer({ minimum: 0 }),
  truncated: Type.Boolean(),
  keys: Type.Array(Type.Record(Type.String(), KeyValue)),
  keysTruncated: Type.Boolean(),
  /** The transaction's commit LSN (`16/B374D848`) and id: with the table, they identify the change. */
  lsn: Type.String({ pattern: '^[0-9A-F]{1,8}/[0-9A-F]{1,8}$' }),
  xid: Type.Integer({ minimum: 0 }),
  /** When PostgreSQL committed it. */
  commitTime: EpochMs,
  /** When the capture published it. */
  at: EpochMs,
})

export type TableChangeEvent = Static<typeof TableChangeEventData>

/** `strata.hot-keys.v1`: the most requested keys of a namespace over a window (from analytics). */
export const HotKeysEventData = Type.Object({
  namespace: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
  keys: Type.Array(Type.Object({ key: Type.String({ minLength: 1, maxLength: 1024 }), count: Type.Integer({ minimum: 0 }) }), { maxItems: 10_000 }),
  windowMs: Type.Integer({ minimum: 1 }),
  at: EpochMs,
})

/** `strata.warm.v1`: one warming run started or finished. */
export const WarmEventData = Type.Object({
  runId: Name,
  target: Name,
  trigger: Type.Union([Type.Literal('schedule'), Type.Literal('start'), Type.Literal('hot-keys'), Type.Literal('manual')]),
  state: Type.Union([Type.Literal('started'), Type.Literal('finished')]),
  /** Items loaded from the origin, found already cached, and failed (finished only; 0 when started). */
  loaded: Type.Integer({ minimum: 0 }),
  cached: Type.Integer({ minimum: 0 }),
  failed: Type.Integer({ minimum: 0 }),
  total: Type.Integer({ minimum: 0 }),
  durationMs: Type.Number({ minimum: 0 }),
  at: EpochMs,
})

export type HotKeysEvent = Static<typeof HotKeysEventData>
export type WarmEvent = Static<typeof WarmEventData>
export type InvalidationEvent = Static<typeof InvalidationEventData>
export type InvalidationHeartbeatEvent = Static<typeof InvalidationHeartbeatEventData>
export type InvalidationRecordEvent = Static<typeof InvalidationRecordEventData>
export type AccessEvent = Static<typeof AccessEventData>
export type AccessBatchEvent = Static<typeof AccessBatchEventData>
export type ErrorEvent = Static<typeof ErrorEventData>
export type AlertEvent = Static<typeof AlertEventData>
export type AuditEvent = Static<typeof AuditEventData>

/** Every Strata event type, the topic it travels on and the schema of its `data`. */
export const STRATA_EVENTS = {
  'strata.invalidation.v1': { topic: TOPICS.invalidations, data: InvalidationEventData },
  'strata.invalidation.heartbeat.v1': { topic: TOPICS.invalidations, data: InvalidationHeartbeatEventData },
  'strata.invalidation.record.v1': { topic: TOPICS.invalidationRecords, data: InvalidationRecordEventData },
  'strata.access.v1': { topic: TOPICS.access, data: AccessEventData },
  'strata.access.batch.v1': { topic: TOPICS.access, data: AccessBatchEventData },
  'strata.error.v1': { topic: TOPICS.errors, data: ErrorEventData },
  'strata.alert.v1': { topic: TOPICS.alerts, data: AlertEventData },
  'strata.audit.v1': { topic: TOPICS.audit, data: AuditEventData },
  'strata.table-change.v1': { topic: TOPICS.tableChanges, data: TableChangeEventData },
  'strata.hot-keys.v1': { topic: TOPICS.hotKeys, data: HotKeysEventData },
  'strata.warm.v1': { topic: TOPICS.warming, data: WarmEventData },
} as const satisfies Record<string, { topic: string; data: TSchema }>

export type StrataEventType = keyof typeof STRATA_EVENTS

export interface StrataEventDataMap {
  'strata.invalidation.v1': InvalidationEvent
  'strata.invalidation.heartbeat.v1': InvalidationHeartbeatEvent
  'strata.invalidation.record.v1': InvalidationRecordEvent
  'strata.access.v1': AccessEvent
  'strata.access.batch.v1': AccessBatchEvent
  'strata.error.v1': ErrorEvent
  'strata.alert.v1': AlertEvent
  'strata.audit.v1': AuditEvent
  'strata.table-change.v1': TableChangeEvent
  'strata.hot-keys.v1': HotKeysEvent
  'strata.warm.v1': WarmEvent
}

export function isStrataEventType(type: string): type is StrataEventType {
  return Object.hasOwn(STRATA_EVENTS, type)
}
