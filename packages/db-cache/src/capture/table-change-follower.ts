import { TOPICS, consumeEvents, type EventEnvelope, type Subscription, type TableChangeEvent, type Transport } from '@strata/bus'
import type { DbCache } from '../db-cache.js'

export interface FollowTableChangesOptions {
  /** Base consumer group; every cache instance gets its own (`<group>.<instanceId>`) and sees every change. */
  group?: string
  instanceId: string
  /** Default `strata.table-changes.v1`. */
  topic?: string
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
  return consumeEvents(transport, options.topic ?? TOPICS.tableChanges, { group: options.group ?? 'strata.db-cache', mode: 'broadcast', instanceId: options.instanceId }, async (envelope) => {
    if (envelope.type !== 'strata.table-change.v1') return
    const event = envelope as EventEnvelope<TableChangeEvent>
    const { schema, table, inserts, updates, deletes } = event.data
    await db.invalidateTables([`${schema}.${table}`], Math.max(1, inserts + updates + deletes))
    options.onInvalidated?.(event, Date.now())
  })
}
