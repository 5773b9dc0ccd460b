import { recordOf, type InvalidationRecord, type InvalidationRequest } from '@strata/invalidation'

export type { InvalidationRecord } from '@strata/invalidation'

/**
 * The last invalidations this gateway instance applied (manual, events, purges, subject deletes) and, with a bus, the
 * invalidators' (followInvalidationRecords), newest first, in a bounded ring: memory stays fixed and the oldest go first. Per instance — not shared, not durable; the audit log
 * (PostgreSQL) is the lasting record. Entries are @strata/invalidation's one InvalidationRecord, as the invalidator
 * publishes them.
 */
export class InvalidationHistory {
  private readonly ring: (InvalidationRecord | undefined)[]
  private next = 0

  constructor(
    readonly capacity = 1_000,
    private readonly clock: () => number = Date.now,
  ) {
    this.ring = new Array<InvalidationRecord | undefined>(capacity)
  }

  /** Keeps a record the executor made. */
  add(record: InvalidationRecord): InvalidationRecord {
    this.ring[this.next] = record
    this.next = (this.next + 1) % this.capacity
    return record
  }

  /** Records an invalidation carried out outside the executor (a proxy URL purge, a subject purge): nothing counted. */
  note(request: Omit<InvalidationRequest, 'occurredAt'>): InvalidationRecord {
    const at = this.clock()
    return this.add(recordOf({ ...request, occurredAt: at }, { entriesRemoved: null, at }))
  }

  /** Newest first; only `namespace`'s when given. */
  list(options: { namespace?: string | undefined; limit: number }): InvalidationRecord[] {
    const out: InvalidationRecord[] = []
    for (let i = 1; i <= this.capacity && out.length < options.limit; i++) {
      const record = this.ring[(this.next - i + this.capacity) % this.capacity]
      if (record === undefined) break
      if (options.namespace === undefined || record.namespace === options.namespace) out.push(record)
    }
    return out
  }
}
