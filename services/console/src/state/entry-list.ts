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

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * A TTL as a person types it: `90s`, `5m`, `1.5h`, `2d`, `250ms`, or a bare number of seconds. Undefined when it is
 * not one of those or not positive (the form says so instead of sending it).
 */
export function parseTtlInput(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text)
  if (match === null) return undefined
  const ms = Math.round(Number(match[1]) * UNITS[match[2] ?? 's']!)
  return ms >= 1 && Number.isSafeInteger(ms) ? ms : undefined
}

/** Up to `maxChars` of a value as indented JSON, and whether it was cut there (a key browser shows, not downloads). */
export function previewValue(value: unknown, maxChars = 64 * 1024): { text: string; truncated: boolean; length: number } {
  const text = JSON.stringify(value, null, 2) ?? 'undefined'
  return { text: text.length > maxChars ? text.slice(0, maxChars) : text, truncated: text.length > maxChars, length: text.length }
}
