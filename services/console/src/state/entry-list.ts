import type { EntryInfo } from '../api/types.js'

// Numeric-aware: 'user:2' before 'user:10', as a person reads keys (a plain sort gives 1, 10, 11 … 2).
const keyOrder = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' })

/** The key browser's rows in numeric-aware key order. */
export function sortEntries(entries: readonly EntryInfo[]): EntryInfo[] {
  return [...entries].sort((a, b) => keyOrder.compare(a.key, b.key))
}

/** What a row's freshness column says: a stale entry is only served within its grace (or by fail-safe). */
export function freshnessLabel(entry: Pick<EntryInfo, 'stale' | 'ttlLeftMs'>): 'fresh' | 'stale' {
  return entry.stale || entry.ttlLeftMs <= 0 ? 'stale' : 'fresh'
}

/**
 * A Space-Saving count as a person reads it: the exact count when the sketch's error bound is 0, else the range it
 * guarantees (the true count is at least count − error).
 */
export function formatHotKeyCount(count: number, error: number): string {
  return error <= 0 ? String(count) : `${count - error}–${count}`
}
