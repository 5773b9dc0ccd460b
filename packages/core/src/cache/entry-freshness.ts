import type { StoredEntry } from './l1-tier.js'
import type { TagRegistry } from './tag-registry.js'

export type Freshness = 'fresh' | 'stale' | 'gone'

/**
 * The one verdict on a cached entry, for L1 and L2 and every read path: fresh until `expiresAt`, stale (servable
 * within grace) until `staleUntil`, then gone. A tag invalidation since the entry's load started overrides the clock:
 * a deleted tag makes it gone, an expired tag stale (still within its grace).
 */
export function freshness(entry: StoredEntry, now: number, tags: TagRegistry): Freshness {
  // Untagged entries, and entries created after the newest tag invalidation, need no per-tag lookup: the hit path.
  if (entry.tags.length > 0 && tags.newest >= entry.createdAt) {
    const verdict = tags.verdict(entry.tags, entry.createdAt)
    if (verdict === 'gone') return 'gone'
    if (verdict === 'stale') return now < entry.staleUntil ? 'stale' : 'gone'
  }
  return now < entry.expiresAt ? 'fresh' : now < entry.staleUntil ? 'stale' : 'gone'
}

/**
 * Whether an L1 copy answers a read: it must be fresh, and the invalidation stream must vouch for L1 (`trustedUntil`,
 * Infinity without a heartbeating bus). Otherwise the read goes on to L2, the fleet's truth.
 */
export function servesFromL1(entry: StoredEntry | undefined, now: number, trustedUntil: number, tags: TagRegistry): entry is StoredEntry {
  return entry !== undefined && now < trustedUntil && freshness(entry, now, tags) === 'fresh'
}

/**
 * Whether a tag invalidation overtook an entry being written (its load or write started before the invalidation):
 * such an entry is answered to its caller but never cached, or a stale value would outlive the invalidation.
 */
export function overtakenByTag(entry: StoredEntry, tags: TagRegistry): boolean {
  return entry.tags.length > 0 && tags.newest >= entry.createdAt && tags.verdict(entry.tags, entry.createdAt) === 'gone'
}

/** The newer of two copies of one key (by version), for the stale candidate a miss falls back on. */
export function newest(a: StoredEntry | undefined, b: StoredEntry | undefined): StoredEntry | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return b.version > a.version ? b : a
}
