import { consumeEvents, type EventEnvelope, type Subscription, type TableChangeEvent, type Transport } from '@strata/bus'
import type { NamespaceCache } from '@strata/core'
import type { DbCache } from '../db-cache.js'
import { tableTag } from '../table-tags.js'
import { topicUse } from './topic-use.js'

/** Row-level entries an application caches itself (`account:42`), mapped from the changed rows' keys. */
export interface RowKeyRule {
  /** `schema.name` as PostgreSQL names it. */
  table: string
  namespace: NamespaceCache<unknown>
  /** The cache key of one changed row, from its replica-identity columns. */
  key: (row: Readonly<Record<string, string | number | boolean | null>>) => string
}

export interface FollowTableChangesOptions {
  /** Base consumer group; every cache instance gets its own (`<group>.<instanceId>`) and sees every change. */
  group?: string
  instanceId: string
  /** Default `strata.table-changes.v1`. */
  topic?: string
  /**
   * Row keys to drop as well. When the capture left keys out (more rows than it carries) or the table was truncated,
   * every entry of the namespace tagged `table:<schema.name>` is dropped instead: tag row entries that way.
   */
  rows?: readonly RowKeyRule[]
  /** Called after a change's tables were invalidated (for latency measurements and logs). */
  onInvalidated?: (event: EventEnvelope<TableChangeEvent>, invalidatedAt: number) => void
}

/**
 * The built-in table-change rule: each `strata.table-change.v1` event drops the cached results that read its table,
 * in this instance's L1, in L2 and (through the cache's bus) in the other instances. Use it when no invalidator
 * service runs; with one, a rule on the table-changes topic with `tags: ['table:{data.schema}.{data.table}']` does
 * the same centrally.
 */
export function followTableChanges(db: DbCache, transport: Transport, options: FollowTableChangesOptions): Promise<Subscription> {
  return consumeEvents(transport, options.topic ?? topicUse.consumed.tableChanges, { group: options.group ?? 'strata.db-cache', mode: 'broadcast', instanceId: options.instanceId }, async (envelope) => {
    if (envelope.type !== 'strata.table-change.v1') return
    const event = envelope as EventEnvelope<TableChangeEvent>
    const { schema, table, inserts, updates, deletes, keys, keysTruncated, truncated } = event.data
    const name = `${schema}.${table}`
    await db.invalidateTables([name], Math.max(1, inserts + updates + deletes))
    for (const rule of options.rows ?? []) {
      if (rule.table !== name) continue
      if (keysTruncated || truncated) await rule.namespace.deleteByTag([tableTag(name)])
      else if (keys.length > 0) await rule.namespace.deleteMany([...new Set(keys.map(rule.key))])
    }
    options.onInvalidated?.(event, Date.now())
  })
}
