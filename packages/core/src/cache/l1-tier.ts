import type { CacheEntry } from '../model/cache-entry.js'

/** The in-process tier as the engine needs it; `MemoryTier` (l1/) implements it. Synchronous: it is the hot path. */
export interface L1Tier<V> {
  get(key: string): V | undefined
  peek(key: string): V | undefined
  /** `expiresAt` is when the tier may drop the entry by itself; false when the entry was not admitted. */
  set(key: string, value: V, expiresAt: number, weight?: number): boolean
  delete(key: string): boolean
  clear(): void
  keys(): IterableIterator<string>
  readonly size: number
}

/** What L1 holds: the decoded entry, so a hit costs no decoding and no copy. */
export type StoredEntry = CacheEntry
