import { randomUUID } from 'node:crypto'

export type InvalidationSource = 'api' | 'event' | 'purge' | 'subject'

/** One invalidation as the console's history shows it. */
export interface InvalidationRecord {
  id: string
  at: number
  /** null for proxy purges and subject purges (they span upstreams / every namespace). */
  namespace: string | null
  source: InvalidationSource
  /** `key:<id>`, `jwt:<sub>`, or `anonymous` on a gateway without auth. */
  actor: string
  keys: string[]
  tags: string[]
  prefixes: string[]
  expireTags: string[]
  all: boolean
  /** The proxy upstream, for purges and event rules on an upstream (keys are then URLs, tags surrogate keys). */
  upstream?: string
  /** The domain event type, for source `event`. */
  event?: string
}

export type NewInvalidation = Omit<InvalidationRecord, 'id' | 'at' | 'keys' | 'tags' | 'prefixes' | 'expireTags' | 'all'> &
  Partial<Pick<InvalidationRecord, 'keys' | 'tags' | 'prefixes' | 'expireTags' | 'all'>>

/**
 * The last invalidations this gateway instance applied (manual, events, purges, subject deletes), newest first, in a
 * bounded ring: memory stays fixed and the oldest go first. Per instance — not shared, not durable; the audit log
 * (PostgreSQL) is the lasting record.
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

  record(entry: NewInvalidation): InvalidationRecord {
    const record: InvalidationRecord = { keys: [], tags: [], prefixes: [], expireTags: [], all: false, ...entry, id: randomUUID(), at: this.clock() }
    this.ring[this.next] = record
    this.next = (this.next + 1) % this.capacity
    return record
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
