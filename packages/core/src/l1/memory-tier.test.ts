import { afterEach, describe, expect, it, vi } from 'vitest'
import { seededRandom } from '../../../../bench/lib/zipf.js'
import { isStrataError } from '../errors/index.js'
import { MemoryTier, type MemoryTierOptions, type RemovalCause } from './memory-tier.js'

const FOREVER = Number.POSITIVE_INFINITY

function tier<V = string>(options: Partial<MemoryTierOptions> = {}) {
  let now = 1_000_000
  const removals: [string, unknown, RemovalCause][] = []
  const cache = new MemoryTier<V>({
    maxEntries: 100,
    clock: () => now,
    onRemoval: (key, value, cause) => removals.push([key, value, cause]),
    seed: 1,
    ...options,
  })
  return {
    cache,
    removals,
    now: () => now,
    tick: (ms: number) => {
      now += ms
    },
  }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('MemoryTier', () => {
  it('stores, reads, peeks, checks and deletes', () => {
    const { cache, removals } = tier()
    expect(cache.set('a', 'A', FOREVER)).toBe(true)
    expect(cache.get('a')).toBe('A')
    expect(cache.peek('a')).toBe('A')
    expect(cache.has('a')).toBe(true)
    expect(cache.expiresAt('a')).toBe(FOREVER)
    expect(cache.get('missing')).toBeUndefined()
    expect(cache.delete('a')).toBe(true)
    expect(cache.delete('a')).toBe(false)
    expect(cache.get('a')).toBeUndefined()
    expect(cache.size).toBe(0)
    expect(removals).toEqual([['a', 'A', 'deleted']])
  })

  it('expires entries on the injected clock without any timer per entry', () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout')
    const { cache, removals, now, tick } = tier()
    cache.set('a', 'A', now() + 1000)
    tick(999)
    expect(cache.get('a')).toBe('A')
    expect(cache.expiresAt('a')).toBe(now() + 1)
    tick(1)
    expect(cache.has('a')).toBe(false)
    expect(cache.peek('a')).toBeUndefined()
    expect(cache.expiresAt('a')).toBeUndefined()
    expect(cache.get('a')).toBeUndefined()
    expect(removals).toEqual([['a', 'A', 'expired']])
    expect(cache.size).toBe(0)
    expect(setTimeoutSpy).not.toHaveBeenCalled()
  })

  it('reclaims expired entries nobody reads when writes advance the timer wheel', () => {
    const { cache, removals, now, tick } = tier()
    for (let i = 0; i < 50; i++) cache.set(`short:${i}`, 'x', now() + 5_000)
    for (let i = 0; i < 10; i++) cache.set(`long:${i}`, 'y', now() + 3_600_000)
    tick(7_000)
    expect(cache.size).toBe(60)
    cache.set('trigger', 'z', FOREVER)
    expect(cache.size).toBe(11)
    expect(removals.filter(([, , cause]) => cause === 'expired')).toHaveLength(50)
    expect([...cache.keys()].sort()).toEqual(['trigger', ...Array.from({ length: 10 }, (_, i) => `long:${i}`)].sort())
  })

  it('reclaims on cleanUp, and reads of entries with a TTL advance the wheel too', () => {
    const { cache, removals, now, tick } = tier()
    cache.set('a', 'A', now() + 2_000)
    cache.set('b', 'B', now() + 60_000)
    tick(3_000)
    cache.cleanUp()
    expect(removals).toEqual([['a', 'A', 'expired']])
    cache.set('c', 'C', now() + 1_000)
    tick(5_000)
    expect(cache.get('b')).toBe('B')
    expect(removals.map(([key]) => key)).toEqual(['a', 'c'])
  })

  it('reclaims an overwritten entry at its latest expiry, whether the overwrite moved it later, earlier or to never', () => {
    const { cache, removals, now, tick } = tier()
    const start = now()
    // Later: each overwrite pushes the expiry out (the node may stay in its first bucket; the wheel re-sorts it).
    for (let i = 1; i <= 20; i++) cache.set('later', 'L', start + i * 3_000)
    cache.set('earlier', 'E', start + 200_000)
    cache.set('earlier', 'E', start + 2_000)
    cache.set('never', 'N', start + 2_000)
    cache.set('never', 'N', FOREVER)
    tick(5_000)
    cache.cleanUp()
    expect(removals).toEqual([['earlier', 'E', 'expired']])
    tick(54_000)
    cache.cleanUp()
    expect(cache.has('later')).toBe(true)
    tick(3_000)
    cache.cleanUp()
    expect(removals).toEqual([
      ['earlier', 'E', 'expired'],
      ['later', 'L', 'expired'],
    ])
    tick(10 * 86_400_000)
    cache.cleanUp()
    expect(cache.size).toBe(1)
    expect(cache.get('never')).toBe('N')
  })

  it('hides expired entries from keys() and reports them as expired when cleared', () => {
    const { cache, removals, now, tick } = tier()
    cache.set('old', 'o', now() + 10)
    cache.set('new', 'n', FOREVER)
    tick(20)
    expect([...cache.keys()]).toEqual(['new'])
    cache.clear()
    expect(cache.size).toBe(0)
    expect(cache.weightedSize).toBe(0)
    expect(removals.sort()).toEqual([
      ['new', 'n', 'cleared'],
      ['old', 'o', 'expired'],
    ])
  })

  it('reports a replaced value, keeps the new one, and moves its expiry', () => {
    const { cache, removals, now, tick } = tier()
    cache.set('a', 'v1', now() + 1_000)
    cache.set('a', 'v2', now() + 10_000)
    tick(5_000)
    cache.cleanUp()
    expect(cache.get('a')).toBe('v2')
    cache.set('a', 'v2', now() + 10_000)
    expect(removals).toEqual([['a', 'v1', 'replaced']])
  })

  it('does not keep a value already expired or heavier than maxBytes, and drops the value it replaces', () => {
    const { cache, removals, now } = tier({ maxBytes: 1_000 })
    cache.set('a', 'small', FOREVER, 10)
    expect(cache.set('a', 'huge', FOREVER, 1_001)).toBe(false)
    expect(cache.get('a')).toBeUndefined()
    cache.set('b', 'fresh', FOREVER, 10)
    expect(cache.set('b', 'stale', now() - 1)).toBe(false)
    expect(cache.has('b')).toBe(false)
    expect(removals).toEqual([
      ['a', 'small', 'replaced'],
      ['b', 'fresh', 'replaced'],
    ])
    expect(cache.weightedSize).toBe(0)
  })

  it('holds the entry bound and the byte bound together, evicting with cause "evicted"', () => {
    const { cache, removals } = tier({ maxEntries: 10, maxBytes: 1_000 })
    for (let i = 0; i < 50; i++) {
      cache.set(`small:${i}`, 'x', FOREVER, 10)
      expect(cache.size).toBeLessThanOrEqual(10)
    }
    for (let i = 0; i < 50; i++) {
      cache.set(`big:${i}`, 'y', FOREVER, 300)
      expect(cache.weightedSize).toBeLessThanOrEqual(1_000)
      expect(cache.size).toBeLessThanOrEqual(10)
    }
    expect(removals.length).toBeGreaterThan(40)
    expect(removals.every(([, , cause]) => cause === 'evicted')).toBe(true)
    let bytes = 0
    for (const key of cache.keys()) bytes += key.startsWith('big') ? 300 : 10
    expect(cache.weightedSize).toBe(bytes)
  })

  it('tracks weights without bounding by them when only maxEntries is set', () => {
    const { cache } = tier({ maxEntries: 5 })
    for (let i = 0; i < 5; i++) cache.set(`k${i}`, 'v', FOREVER, 1_000_000)
    expect(cache.size).toBe(5)
    expect(cache.weightedSize).toBe(5_000_000)
  })

  it.each([
    { bound: 'entries', maxBytes: undefined },
    { bound: 'entries, with a byte budget that never binds', maxBytes: 10_000_000 },
  ])('keeps its hot keys under a scan with W-TinyLFU and loses them with LRU (bounded by $bound)', ({ maxBytes }) => {
    const hotKept = (['w-tinylfu', 'lru'] as const).map((policy) => {
      const { cache } = tier({ maxEntries: 100, policy, ...(maxBytes === undefined ? {} : { maxBytes }) })
      const hot = Array.from({ length: 50 }, (_, i) => `hot:${i}`)
      const read = (key: string): void => {
        if (cache.get(key) === undefined) cache.set(key, 'v', FOREVER, 100)
      }
      // A fresh W-TinyLFU runs as LRU until its miniature simulations have seen frequency win: a hot set read among
      // one-off keys first, then the scan.
      for (let round = 0; round < 20; round++) {
        hot.forEach(read)
        for (let i = 0; i < 60; i++) read(`once:${round}:${i}`)
      }
      for (let i = 0; i < 200; i++) read(`scan:${i}`)
      return hot.filter((key) => cache.has(key)).length
    })
    // The window the miniatures chose (not always 1%) loses the hot keys that sat in it.
    expect(hotKept[0]).toBeGreaterThanOrEqual(40)
    expect(hotKept[1]).toBe(0)
  })

  it('lets onRemoval call back into the tier, and rethrows a listener error after every listener ran', () => {
    const seen: string[] = []
    const cache: MemoryTier<string> = new MemoryTier<string>({
      maxEntries: 10,
      policy: 'lru',
      onRemoval: (key, _value, cause) => {
        seen.push(`${key}:${cause}`)
        if (key === 'a') cache.set('a-tombstone', 'gone', FOREVER)
        if (key === 'boom') throw new Error('listener failed')
      },
    })
    cache.set('a', '1', FOREVER)
    cache.delete('a')
    expect(cache.get('a-tombstone')).toBe('gone')
    cache.set('boom', '1', FOREVER)
    cache.set('other', '1', FOREVER)
    expect(() => cache.clear()).toThrow('listener failed')
    expect(seen).toEqual(['a:deleted', 'a-tombstone:cleared', 'boom:cleared', 'other:cleared'])
    expect(cache.size).toBe(0)
  })

  it('refuses bad options and arguments with typed errors', () => {
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn()
      } catch (error) {
        return isStrataError(error) ? error.code : 'not a StrataError'
      }
      return undefined
    }
    expect(code(() => new MemoryTier({ maxEntries: 0 }))).toBe('E_INVALID_OPTION')
    expect(code(() => new MemoryTier({ maxEntries: 1.5 }))).toBe('E_INVALID_OPTION')
    expect(code(() => new MemoryTier({ maxEntries: 10, maxBytes: 0 }))).toBe('E_INVALID_OPTION')
    expect(code(() => new MemoryTier({ maxEntries: 10, policy: 'fifo' as never }))).toBe('E_INVALID_OPTION')
    const cache = new MemoryTier<string>({ maxEntries: 10 })
    expect(code(() => cache.set('a', 'v', Number.NaN))).toBe('E_INVALID_TTL')
    expect(code(() => cache.set('a', 'v', FOREVER, -1))).toBe('E_INVALID_OPTION')
    expect(code(() => cache.set('a', 'v', FOREVER, Number.NaN))).toBe('E_INVALID_OPTION')
    expect(cache.size).toBe(0)
  })

  it.each(['w-tinylfu', 'lru'] as const)(
    'agrees with a model under random sets, reads, deletes, TTLs and clock moves (%s, entries reused)',
    (policy) => {
      const random = seededRandom(31)
      const model = new Map<string, { value: number; expiresAt: number }>()
      let now = 5_000_000
      let evictions = 0
      const cache = new MemoryTier<number>({
        maxEntries: 64,
        maxBytes: 4_000,
        policy,
        clock: () => now,
        seed: 3,
        onRemoval: (key, value, cause) => {
          const known = model.get(key)
          if (cause === 'evicted') {
            evictions++
            expect(known?.value).toBe(value)
            model.delete(key)
          } else if (cause === 'expired') {
            expect(known === undefined || known.expiresAt <= now || known.value !== value).toBe(true)
          }
        },
      })
      for (let step = 0; step < 40_000; step++) {
        const key = `k${Math.floor(random() * 300)}`
        const dice = random()
        if (dice < 0.4) {
          const value = step
          const expiresAt = random() < 0.3 ? Number.POSITIVE_INFINITY : now + 1 + Math.floor(random() * 20_000)
          const weight = 1 + Math.floor(random() * 200)
          model.set(key, { value, expiresAt })
          if (!cache.set(key, value, expiresAt, weight)) model.delete(key)
        } else if (dice < 0.85) {
          const known = model.get(key)
          const expected = known !== undefined && known.expiresAt > now ? known.value : undefined
          expect(cache.get(key)).toBe(expected)
          if (expected === undefined) model.delete(key)
        } else if (dice < 0.9) {
          const known = model.get(key)
          expect(cache.delete(key)).toBe(known !== undefined && known.expiresAt > now)
          model.delete(key)
        } else {
          now += Math.floor(random() * 3_000)
        }
        expect(cache.weightedSize).toBeLessThanOrEqual(4_000)
        expect(cache.size).toBeLessThanOrEqual(64)
      }
      expect(evictions).toBeGreaterThan(1_000)
    },
  )

  it('uses a coarse real clock by default', () => {
    const cache = new MemoryTier<string>({ maxEntries: 10 })
    cache.set('soon', 'v', Date.now() + 60_000)
    cache.set('past', 'v', Date.now() - 1)
    expect(cache.get('soon')).toBe('v')
    expect(cache.has('past')).toBe(false)
  })
})
