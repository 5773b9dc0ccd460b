/**
 * Strata's own topics (ARCHITECTURE.md). The version is part of the name: a breaking change to an event's schema is
 * a new topic, so old and new consumers can run side by side during a rollout. Who produces and consumes each one is
 * declared by the components themselves (defineTopicUse), not here.
 */
export const TOPICS = {
  /** Invalidations every cache instance applies to its L1 (broadcast: one consumer group per instance). */
  invalidations: 'strata.invalidations.v1',
  /** One record per invalidation the invalidator carried out. */
  invalidationRecords: 'strata.invalidations.records.v1',
  /** Sampled cache accesses from gateways. */
  access: 'strata.access.v1',
  /** Errors from every service. */
  errors: 'strata.errors.v1',
  /** Alert lifecycle from alerting. */
  alerts: 'strata.alerts.v1',
  /** Row changes of PostgreSQL tables read from logical replication (db-cache change capture). */
  tableChanges: 'strata.table-changes.v1',
  /** Hot keys per namespace, reported by analytics. */
  hotKeys: 'strata.hot-keys.v1',
  /** Progress and results of warming runs. */
  warming: 'strata.warming.v1',
  /** Administrative and security-relevant actions. */
  audit: 'strata.audit.v1',
} as const

export type StrataTopic = (typeof TOPICS)[keyof typeof TOPICS]

const DEAD_LETTER_SUFFIX = '.dlq'

/** Where messages of `topic` go when they cannot be processed: `<topic>.dlq`. */
export function deadLetterTopic(topic: string): string {
  return topic + DEAD_LETTER_SUFFIX
}

export function isDeadLetterTopic(topic: string): boolean {
  return topic.endsWith(DEAD_LETTER_SUFFIX)
}
