import type { EntryInfo, NamespaceCache } from '@strata/core'

/** One entry as the console's key browser shows it (docs/guides/gateway.md, "Browse entries"). */
export interface EntryView {
  key: string
  tier: 'l1' | 'l2'
  ttlLeftMs: number
  /** Grace left after freshness ends (the whole grace while fresh). */
  graceLeftMs: number
  stale: boolean
  size: number
  tags: string[]
  version: number
}

export interface BrowseOptions {
  prefix: string
  /** Only entries carrying this tag. Entries are not indexed by tag: this filters what the scan finds. */
  tag?: string | undefined
  limit: number
  cursor?: string | undefined
  /** Stop after looking at this many keys, answering what was found and a cursor to go on from. */
  maxScanned: number
}

export function entryView(key: string, info: EntryInfo<unknown>, now: number): EntryView {
  return {
    key,
    tier: info.tier === 'l1' ? 'l1' : 'l2',
    ttlLeftMs: Math.max(0, info.expiresAt - now),
    graceLeftMs: Math.max(0, info.staleUntil - Math.max(now, info.expiresAt)),
    stale: info.state === 'stale',
    size: info.size,
    tags: [...info.tags],
    version: info.version,
  }
}

/**
 * A page of a namespace's entries: scans L2 under the prefix, reads each key's metadata (L1 first), keeps the live
 * ones carrying the tag if one is asked. Each scan step asks for no more keys than the page still lacks, so a page
 * never exceeds `limit`; a page may hold fewer (even none) with a cursor when filtered-out or dead keys used up
 * `maxScanned` — the caller goes on with the cursor.
 */
export async function browseEntries(cache: NamespaceCache<unknown>, options: BrowseOptions, clock: () => number): Promise<{ entries: EntryView[]; cursor: string | null }> {
  const entries: EntryView[] = []
  let cursor = options.cursor
  let scanned = 0
  do {
    const page = await cache.scanKeys(options.prefix, { cursor, limit: options.limit - entries.length })
    cursor = page.cursor
    scanned += page.keys.length
    const infos = await cache.inspectMany(page.keys)
    const now = clock()
    page.keys.forEach((key, index) => {
      const info = infos[index]
      if (info !== undefined && (options.tag === undefined || info.tags.includes(options.tag))) entries.push(entryView(key, info, now))
    })
  } while (cursor !== undefined && entries.length < options.limit && scanned < options.maxScanned)
  return { entries, cursor: cursor ?? null }
}
