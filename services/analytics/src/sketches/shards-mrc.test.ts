import { zipfKeys } from '@strata/testkit'
import { describe, expect, it } from 'vitest'
import { ShardsMrc } from './shards-mrc.js'

/** The full simulation: an exact LRU cache of `size` entries over the whole stream. */
function lruHitRatio(keys: Int32Array, size: number): number {
  const cache = new Map<number, true>()
  let hits = 0
  for (const key of keys) {
    if (cache.has(key)) {
      hits++
      cache.delete(key)
    } else if (cache.size >= size) cache.delete(cache.keys().next().value!)
    cache.set(key, true)
  }
  return hits / keys.length
}

describe('SHARDS miss-ratio curve', () => {
  const keys = zipfKeys({ items: 20_000, accesses: 200_000, exponent: 0.9, seed: 11 })
  const sizes = [200, 2_000, 10_000]
  const exact = sizes.map((size) => lruHitRatio(keys, size))

  it('is exact at rate 1: every reuse distance counted', () => {
    const mrc = new ShardsMrc({ maxTracked: 1_000_000 })
    for (const key of keys) mrc.record(`k${key}`)
    expect(mrc.rate).toBe(1)
    sizes.forEach((size, i) => expect(Math.abs(mrc.hitRatio(size) - exact[i]!)).toBeLessThan(0.01))
  })

  it('stays within 5 points of the full LRU simulation at three sizes when sampling ~5% of the keys (fixed size)', () => {
    const mrc = new ShardsMrc({ maxTracked: 1_000 })
    for (const key of keys) mrc.record(`k${key}`)
    expect(mrc.rate).toBeLessThan(0.1)
    sizes.forEach((size, i) => expect(Math.abs(mrc.hitRatio(size) - exact[i]!), `size ${size}: ${mrc.hitRatio(size)} vs ${exact[i]}`).toBeLessThan(0.05))
  })

  it('rises with the size and tops out at the share of non-first references', () => {
    const mrc = new ShardsMrc()
    for (const key of keys) mrc.record(`k${key}`)
    const curve = mrc.curve([10, 100, 1_000, 10_000, 100_000])
    for (let i = 1; i < curve.length; i++) expect(curve[i]!.hitRatio).toBeGreaterThanOrEqual(curve[i - 1]!.hitRatio)
    const distinct = new Set(keys).size
    expect(curve.at(-1)!.hitRatio).toBeCloseTo(1 - distinct / keys.length, 2)
  })
})
