import { assertDuration, resolvePolicy, type CachePolicy, type StampedeMode, type WriteMode } from '../model/cache-policy.js'
import type { WriteCondition } from './key-guard.js'
import { assertTags } from './key-space.js'

/** Per-call choices for one entry. Anything left out comes from the namespace policy. */
export interface EntryOptions {
  ttl?: number
  grace?: number
  l1Ttl?: number
  tags?: readonly string[]
  softTimeout?: number
  hardTimeout?: number
  refreshAhead?: number
  stampede?: StampedeMode
}

export interface SetOptions extends EntryOptions {
  /** Overrides the namespace's write mode for this call. */
  writeMode?: WriteMode
}

export interface GetOptions {
  /** Return a stale value (past its ttl, within grace) instead of nothing. */
  allowStale?: boolean
}

export interface SetEntryOptions<T> extends SetOptions {
  /** Write only if it holds for the current entry, as `setIf` does. */
  condition?: WriteCondition<T>
}

/** An entry's options once the namespace policy filled what a call left out. */
export interface ResolvedEntryOptions {
  ttl: number
  grace: number
  l1Ttl: number | undefined
  tags: readonly string[]
}

/** The tags of an untagged entry: one shared, frozen array rather than one per write. */
const NO_TAGS: readonly string[] = Object.freeze([])

export function resolveEntryOptions(policy: CachePolicy, options: EntryOptions | undefined): ResolvedEntryOptions {
  return {
    ttl: options?.ttl ?? policy.ttl,
    grace: options?.grace ?? policy.grace,
    l1Ttl: options?.l1Ttl ?? policy.l1Ttl,
    tags: options?.tags ?? NO_TAGS,
  }
}

/** Refuses a call's options with the namespace's typed errors before anything is read, loaded or written. */
export function validateEntryOptions(policy: CachePolicy, namespace: string, options: EntryOptions): void {
  for (const field of ['ttl', 'grace', 'l1Ttl', 'softTimeout', 'hardTimeout'] as const) {
    if (options[field] !== undefined) assertDuration(field, options[field])
  }
  if (options.ttl !== undefined || options.grace !== undefined || options.refreshAhead !== undefined || options.stampede !== undefined) {
    // Reuse the namespace validation for cross-field rules (ttl > 0, ttl + grace <= maxTtl, refreshAhead in (0,1)).
    resolvePolicy(policy, {
      ttl: options.ttl ?? policy.ttl,
      grace: options.grace ?? policy.grace,
      refreshAhead: options.refreshAhead ?? policy.refreshAhead,
      stampede: options.stampede ?? policy.stampede,
    })
  }
  if (options.tags !== undefined) assertTags(options.tags, namespace)
}
