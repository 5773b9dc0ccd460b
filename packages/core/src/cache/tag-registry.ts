/**
 * Tag invalidation without scanning the keyspace: invalidating a tag records *when* it happened; an entry carrying the
 * tag and created (its load started) at or before that time is gone (`delete`) or stale (`expire`). The records live
 * in L2 (shared by the fleet) and here (what this process knows: its own invalidations, bus messages, and records
 * read from L2 along with tagged entries). Records older than the longest entry lifetime can no longer match anything
 * and are pruned.
 */
export interface TagRecord {
  deletedAt: number
  expiredAt: number
}

export type TagVerdict = 'valid' | 'stale' | 'gone'

export class TagRegistry {
  private readonly records = new Map<string, TagRecord>()
  /** The latest time any tag was deleted or expired: an entry created after it needs no per-tag check. */
  newest = 0

  constructor(private readonly retentionMs: () => number) {}

  get size(): number {
    return this.records.size
  }

  record(scopedTag: string, kind: 'delete' | 'expire', at: number): void {
    if (at > this.newest) this.newest = at
    const current = this.records.get(scopedTag)
    if (current === undefined) {
      this.records.set(scopedTag, kind === 'delete' ? { deletedAt: at, expiredAt: 0 } : { deletedAt: 0, expiredAt: at })
    } else if (kind === 'delete') {
      current.deletedAt = Math.max(current.deletedAt, at)
    } else {
      current.expiredAt = Math.max(current.expiredAt, at)
    }
  }

  /** What an entry of `createdAt` carrying `scopedTags` is worth now. Fast path: untagged entries are valid. */
  verdict(scopedTags: readonly string[], createdAt: number): TagVerdict {
    let verdict: TagVerdict = 'valid'
    for (const tag of scopedTags) {
      const record = this.records.get(tag)
      if (record === undefined) continue
      if (record.deletedAt >= createdAt) return 'gone'
      if (record.expiredAt >= createdAt) verdict = 'stale'
    }
    return verdict
  }

  prune(now: number): void {
    const horizon = now - this.retentionMs()
    for (const [tag, record] of this.records) {
      if (record.deletedAt < horizon && record.expiredAt < horizon) this.records.delete(tag)
    }
  }

  clear(): void {
    this.records.clear()
  }
}
