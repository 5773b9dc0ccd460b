/**
 * One cached value with the metadata every tier needs. Times are epoch milliseconds.
 *
 *   createdAt ── fresh ──> expiresAt ── stale (grace) ──> staleUntil ── gone
 *
 * `createdAt` is when the value's *load started*, not when it finished: an invalidation that happened while a load
 * was running then correctly makes the loaded value invalid (no stale set after a tag invalidation).
 */
export interface CacheEntry<T = unknown> {
  readonly value: T
  readonly createdAt: number
  /** End of freshness. */
  readonly expiresAt: number
  /** End of grace: until then a stale entry may be served by fail-safe, soft timeouts or stale-while-revalidate. */
  readonly staleUntil: number
  /** Monotonic per key within a writer; used by write-behind ordering and conditional requests. */
  readonly version: number
  readonly tags: readonly string[]
  /** Encoded size in bytes when known (it is, once the entry went through a codec); 0 otherwise. */
  readonly size: number
}

export type EntryState = 'fresh' | 'stale' | 'gone'

export function entryState(entry: CacheEntry, now: number): EntryState {
  if (now < entry.expiresAt) return 'fresh'
  if (now < entry.staleUntil) return 'stale'
  return 'gone'
}
