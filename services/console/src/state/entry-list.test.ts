import { describe, expect, it } from 'vitest'
import type { EntryInfo } from '../api/types.js'
import { formatHotKeyCount, freshnessLabel, parseTtlInput, previewValue, sortEntries } from './entry-list.js'

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

describe('TTL input', () => {
  it('takes units and bare seconds, refuses anything else', () => {
    expect(parseTtlInput('90s')).toBe(90_000)
    expect(parseTtlInput('5m')).toBe(300_000)
    expect(parseTtlInput(' 1.5h ')).toBe(5_400_000)
    expect(parseTtlInput('2d')).toBe(172_800_000)
    expect(parseTtlInput('250ms')).toBe(250)
    expect(parseTtlInput('30')).toBe(30_000)
    for (const bad of ['', '0', '0s', '-5s', '5 minutes', '1e3', 'ten', '0.0001ms']) expect(parseTtlInput(bad), bad).toBeUndefined()
  })
})

describe('value preview', () => {
  it('indents JSON and cuts long values, saying so', () => {
    expect(previewValue({ a: 1 })).toEqual({ text: '{\n  "a": 1\n}', truncated: false, length: 12 })
    const long = previewValue('x'.repeat(100), 10)
    expect(long).toEqual({ text: '"xxxxxxxxx', truncated: true, length: 102 })
  })
})
