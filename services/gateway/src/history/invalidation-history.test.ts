import { describe, expect, it } from 'vitest'
import { InvalidationHistory } from './invalidation-history.js'

describe('InvalidationHistory', () => {
  it('lists newest first, filters by namespace, and keeps only the last `capacity` records', () => {
    let now = 1000
    const history = new InvalidationHistory(3, () => now++)
    for (const namespace of ['a', 'b', 'a', 'b']) history.note({ namespace, trigger: 'manual', actor: 'key:x', keys: [namespace] })
    const all = history.list({ limit: 10 })
    expect(all.map((r) => [r.namespace, r.at])).toEqual([['b', 1003], ['a', 1002], ['b', 1001]])
    expect(history.list({ namespace: 'a', limit: 10 }).map((r) => r.at)).toEqual([1002])
    expect(history.list({ limit: 1 })).toHaveLength(1)
    expect(all[0]).toMatchObject({ targets: { keys: ['b'] }, trigger: 'manual', actor: 'key:x', entriesRemoved: null, latencyMs: 0 })
    expect(new Set(all.map((r) => r.id)).size).toBe(3)
  })

  it('lists nothing before the first record', () => {
    expect(new InvalidationHistory().list({ limit: 5 })).toEqual([])
  })
})
