import { describe, expect, it } from 'vitest'
import { FrequencySketch } from './frequency-sketch.js'
import { hashKey } from './key-hash.js'

const SEED = 0x1234

function sketchFor(maximum: number): FrequencySketch {
  const sketch = new FrequencySketch()
  sketch.ensureCapacity(maximum)
  return sketch
}

describe('FrequencySketch', () => {
  it('does nothing until sized', () => {
    const sketch = new FrequencySketch()
    sketch.increment(hashKey('a', SEED))
    expect(sketch.isInitialized).toBe(false)
    expect(sketch.frequency(hashKey('a', SEED))).toBe(0)
  })

  it('counts occurrences and saturates at 15', () => {
    const sketch = sketchFor(512)
    const hash = hashKey('popular', SEED)
    for (let i = 1; i <= 20; i++) {
      sketch.increment(hash)
      expect(sketch.frequency(hash)).toBe(Math.min(i, 15))
    }
  })

  it('never underestimates before aging, and is exact for most keys of a lightly loaded table', () => {
    const sketch = sketchFor(4096)
    const truth = new Map<string, number>()
    for (let i = 0; i < 1000; i++) {
      const key = `key:${i}`
      const times = i % 7
      truth.set(key, times)
      for (let t = 0; t < times; t++) sketch.increment(hashKey(key, SEED))
    }
    let exact = 0
    for (const [key, times] of truth) {
      const estimate = sketch.frequency(hashKey(key, SEED))
      expect(estimate).toBeGreaterThanOrEqual(times)
      if (estimate === times) exact++
    }
    expect(exact).toBeGreaterThan(950)
  })

  it('halves every counter after sampleSize = 10 × maximum additions', () => {
    const maximum = 512
    const sketch = sketchFor(maximum)
    expect(sketch.sampleSize).toBe(10 * maximum)
    const hot = hashKey('hot', SEED)
    for (let i = 0; i < 9; i++) sketch.increment(hot)
    expect(sketch.frequency(hot)).toBe(9)
    // Feed other keys until the reset runs (additions drops), noting the hot key's estimate just before.
    let before = sketch.additions
    let estimateBefore = sketch.frequency(hot)
    for (let filler = 0; ; filler++) {
      estimateBefore = sketch.frequency(hot)
      sketch.increment(hashKey(`filler:${filler}`, SEED))
      if (sketch.additions < before) break
      before = sketch.additions
    }
    expect(estimateBefore).toBeGreaterThanOrEqual(9)
    const after = sketch.frequency(hot)
    expect(after).toBeGreaterThanOrEqual(estimateBefore >>> 1)
    expect(after).toBeLessThanOrEqual((estimateBefore + 1) >>> 1)
    expect(sketch.additions).toBeLessThanOrEqual(sketch.sampleSize / 2)
  })

  it('ages by halving rather than clearing: a reset keeps the order of popularity', () => {
    const sketch = sketchFor(512)
    const hashes = [hashKey('a', SEED), hashKey('b', SEED), hashKey('c', SEED)]
    hashes.forEach((hash, i) => {
      for (let t = 0; t < 4 * (i + 1); t++) sketch.increment(hash)
    })
    sketch.reset()
    expect(hashes.map((hash) => sketch.frequency(hash))).toEqual([2, 4, 6])
  })

  it('grows at powers of two and forgets its counts when it does', () => {
    const sketch = sketchFor(100)
    const words = sketch.words
    const hash = hashKey('x', SEED)
    sketch.increment(hash)
    sketch.ensureCapacity(100)
    sketch.ensureCapacity(words / 2)
    expect(sketch.words).toBe(words)
    expect(sketch.frequency(hash)).toBe(1)
    sketch.ensureCapacity(words)
    expect(sketch.words).toBe(words * 2)
    expect(sketch.frequency(hash)).toBe(0)
    expect(sketch.sampleSize).toBe(10 * words)
  })
})

describe('hashKey', () => {
  it('is stable for a seed, differs across seeds, and hashes strings and numbers', () => {
    expect(hashKey('user:1', 1)).toBe(hashKey('user:1', 1))
    expect(hashKey('user:1', 1)).not.toBe(hashKey('user:1', 2))
    expect(hashKey(42, 1)).toBe(hashKey(42, 1))
    expect(hashKey(42, 1)).not.toBe(hashKey(43, 1))
    expect(hashKey(2 ** 40 + 1, 1)).not.toBe(hashKey(1, 1))
  })

  it('spreads sequential keys over the low bits (the sketch block index)', () => {
    const buckets = new Array<number>(64).fill(0)
    for (let i = 0; i < 64_000; i++) buckets[hashKey(`k${i}`, 7) & 63]!++
    for (const count of buckets) expect(count).toBeGreaterThan(800)
  })
})
