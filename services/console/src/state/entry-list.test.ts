import { describe, expect, it } from 'vitest'
import type { EntryInfo } from '../api/types.js'
import { formatHotKeyCount, freshnessLabel, sortEntries } from './entry-list.js'

const entry = (key: string, over: Partial<EntryInfo> = {}): EntryInfo => ({ key, tier: 'l2', ttlLeftMs: 1000, graceLeftMs: 0, stale: false, size: 1, tags: [], version: 1, ...over })

describe('key browser rows', () => {
  it('sorts keys the way a person counts', () => {
    const keys = ['10', '2', '1', '11', 'user:10', 'user:9', 'b', 'a']
    expect(sortEntries(keys.map((key) => entry(key))).map((row) => row.key)).toEqual(['1', '2', '10', '11', 'a', 'b', 'user:9', 'user:10'])
  })

  it('marks stale and expired entries', () => {
    expect(freshnessLabel(entry('a'))).toBe('fresh')
    expect(freshnessLabel(entry('a', { stale: true }))).toBe('stale')
    expect(freshnessLabel(entry('a', { ttlLeftMs: 0 }))).toBe('stale')
  })

  it('prints an exact hot-key count as one number, an estimate as its range', () => {
    expect(formatHotKeyCount(301, 0)).toBe('301')
    expect(formatHotKeyCount(301, 12)).toBe('289–301')
  })
})
