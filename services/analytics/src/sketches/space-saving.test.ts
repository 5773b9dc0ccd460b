import { zipfKeys } from '@strata/testkit'
import { describe, expect, it } from 'vitest'
import { SpaceSaving } from './space-saving.js'

describe('SpaceSaving top-K', () => {
  it('holds the truly hottest keys of a Zipf stream, with counts that bound the true ones from above', () => {
    const keys = zipfKeys({ items: 50_000, accesses: 300_000, exponent: 1.0, seed: 7 })
    const sketch = new SpaceSaving(256)
    const truth = new Map<number, number>()
    for (const key of keys) {
      sketch.offer(`k${key}`)
      truth.set(key, (truth.get(key) ?? 0) + 1)
    }
    const hottest = [...truth.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20)
    const top = sketch.top(20)
    expect(top.map((hit) => hit.key).sort()).toEqual(hottest.map(([key]) => `k${key}`).sort())
    for (const hit of top) {
      const real = truth.get(Number(hit.key.slice(1)))!
      expect(hit.count).toBeGreaterThanOrEqual(real)
      expect(hit.count - hit.error).toBeLessThanOrEqual(real)
    }
    expect(sketch.size).toBe(256)
    expect(sketch.total).toBe(300_000)
  })

  it('counts weights (sampled accesses stand for 1/rate accesses)', () => {
    const sketch = new SpaceSaving(4)
    sketch.offer('a', 10)
    sketch.offer('b', 2.5)
    sketch.offer('a', 10)
    expect(sketch.top(2)).toEqual([
      { key: 'a', count: 20, error: 0 },
      { key: 'b', count: 2.5, error: 0 },
    ])
  })
})
