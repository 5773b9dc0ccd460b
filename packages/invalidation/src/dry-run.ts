import { StrataError, type NamespaceCache } from '@strata/core'
import type { InvalidationTargets } from './invalidation-request.js'

/** A tag count scans the namespace; past this many keys it answers null rather than a partial count. */
export const MAX_SCANNED_FOR_TAG_COUNT = 100_000

/**
 * What an invalidation would touch, per target; null where the store cannot count it (Memcached cannot list keys,
 * a namespace past MAX_SCANNED_FOR_TAG_COUNT for tags). Targets not asked for count 0.
 */
export interface DryRunCounts {
  /** Of the keys given, how many are in L2. */
  keys: number | null
  /** Keys in L2 under the prefixes. */
  prefixes: number | null
  /** Live entries carrying one of the tags (a scan of the namespace: entries are not indexed by tag). */
  tags: number | null
  /** Live entries carrying one of the expireTags (a scan, as for tags). */
  expireTags: number | null
  /** Keys in the namespace's L2, when `all` is asked. */
  all: number | null
}

/**
 * The one dry run: counts what `targets` would invalidate in `cache`'s namespace and changes nothing. The invalidator
 * and the gateway both answer with it, and the executor's `entriesRemoved` uses the same key and prefix counts, so
 * one request counts the same wherever it is asked.
 */
export async function dryRun(cache: NamespaceCache<unknown>, targets: InvalidationTargets, options: { maxScanned?: number } = {}): Promise<DryRunCounts> {
  const maxScanned = options.maxScanned ?? MAX_SCANNED_FOR_TAG_COUNT
  const tagged = async (tags: readonly string[] | undefined) => (tags === undefined || tags.length === 0 ? 0 : countTagged(cache, tags, maxScanned))
  return {
    keys: await countKeys(cache, targets.keys ?? []),
    prefixes: await countPrefixes(cache, targets.prefixes ?? []),
    tags: await tagged(targets.tags),
    expireTags: await tagged(targets.expireTags),
    all: targets.all === true ? ((await cache.countInL2({ prefix: '' })) ?? null) : 0,
  }
}

/** Of `keys`, how many are in L2 (one MGET); null without an L2. */
export async function countKeys(cache: NamespaceCache<unknown>, keys: readonly string[]): Promise<number | null> {
  return keys.length === 0 ? 0 : ((await cache.countInL2({ keys })) ?? null)
}

/** Keys in L2 under each prefix, summed; null when the store cannot count by prefix. */
export async function countPrefixes(cache: NamespaceCache<unknown>, prefixes: readonly string[]): Promise<number | null> {
  let total = 0
  for (const prefix of prefixes) {
    const found = await cache.countInL2({ prefix })
    if (found === undefined) return null
    total += found
  }
  return total
}

/**
 * How many live entries carry one of `tags`, by scanning the whole namespace; null when the store cannot list keys
 * or the namespace holds more than `maxScanned` keys (the count would be partial).
 */
export async function countTagged(cache: NamespaceCache<unknown>, tags: readonly string[], maxScanned: number): Promise<number | null> {
  let cursor: string | undefined
  let scanned = 0
  let count = 0
  try {
    do {
      const page = await cache.scanKeys('', { cursor, limit: 500 })
      cursor = page.cursor
      scanned += page.keys.length
      if (scanned > maxScanned) return null
      for (const info of await cache.inspectMany(page.keys)) if (info !== undefined && info.tags.some((tag) => tags.includes(tag))) count++
    } while (cursor !== undefined)
  } catch (error) {
    if (error instanceof StrataError && error.code === 'E_UNSUPPORTED_BY_STORE') return null
    throw error
  }
  return count
}
