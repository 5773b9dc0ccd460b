import type { CacheEntry } from '../model/cache-entry.js'
import type { CachePolicy } from '../model/cache-policy.js'
import type { Tier } from './cache-events.js'
import type { EntryOptions } from './entry-options.js'

// The public shapes of a namespace's API (hooks, loaders, what reads and writes answer); the behaviour is in
// namespace-cache.ts.

/** What a loader may decide about the entry it produces, from the value it loaded. */
export interface LoaderContext<T> {
  readonly key: string
  readonly namespace: string
  /** The stale value still in grace, if any (useful for conditional origin requests). */
  readonly stale: T | undefined
  /** Aborted when the cache closes. */
  readonly signal: AbortSignal
  setTtl(ttl: number): void
  setTags(tags: readonly string[]): void
  setOptions(options: Pick<EntryOptions, 'ttl' | 'grace' | 'tags' | 'l1Ttl'>): void
  /** Return the value without caching it (e.g. an origin error page). */
  skipCache(): void
}

export type Loader<T> = (context: LoaderContext<T>) => Promise<T> | T
/** Loads several keys in one call; keys it leaves out of the map are not found (not cached). */
export type BatchLoader<T> = (keys: readonly string[], context: { namespace: string; signal: AbortSignal }) => Promise<Map<string, T>>

/** The origin side of write-through: the cache is set only after `write` succeeded. */
export interface Writer<T> {
  write(key: string, value: T, entry: { version: number }): Promise<void>
  remove?(key: string): Promise<void>
}

export interface NamespaceHooks<T> {
  loader?: Loader<T>
  writer?: Writer<T>
}

export type NamespaceOptions<T = unknown> = Partial<CachePolicy> & NamespaceHooks<T>

export interface EntryInfo<T> extends CacheEntry<T> {
  tier: Tier
  state: 'fresh' | 'stale'
}

/** Where an answer came from: a tier, the loader (this call's load or the one it joined), or this call's write. */
export type EntrySource = Tier | 'loader' | 'set'

/** How a value was answered, with its entry's metadata: what an HTTP front puts in ETag, Age and Cache-Status. */
export interface EntryMeta {
  readonly source: EntrySource
  /** Past its ttl and served within grace (a soft timeout, fail-safe, a fleet lease held elsewhere). */
  readonly stale: boolean
  /** False when the value was answered but not cached: skipCache, an invalidation overtook the load, too large. */
  readonly cached: boolean
  /** Monotonic per key: an ETag. */
  readonly version: number
  /** Epoch ms, like every time here: the load or write start, the end of freshness, the end of grace. */
  readonly createdAt: number
  readonly expiresAt: number
  readonly staleUntil: number
  readonly tags: readonly string[]
  /** Encoded size in bytes when known, else 0. */
  readonly size: number
}

/** What `getOrSetEntry` and `setEntry` answer. */
export interface EntryResult<T> {
  readonly value: T
  readonly meta: EntryMeta
}

