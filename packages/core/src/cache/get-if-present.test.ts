import { describe, expect, it } from 'vitest'
import { memoryStore } from '../stores/memory/memory-store.js'
import { createCache } from './strata-cache.js'

describe('getIfPresent: the synchronous L1 read', () => {
  it('answers a fresh L1 copy without a promise and counts it as an L1 hit', async () => {
    const cache = createCache({ l2: memoryStore() })
    const users = cache.namespace<{ name: string }>('users', { ttl: 60_000 })
    await users.set('u1', { name: 'Ada' })
    const answer = users.getIfPresent('u1')
    expect(answer).toEqual({ name: 'Ada' })
    expect(answer).toBe(await users.get('u1'))
    expect(users.stats().l1Hits).toBe(2)
    await cache.close()
  })

  it('gives undefined for what only L2 holds, without reading L2 or counting a miss; get then finds it', async () => {
    const l2 = memoryStore()
    const writer = createCache({ l1: false, l2 })
    const reader = createCache({ l2 })
    await writer.set('k', 42)
    expect(reader.getIfPresent('k')).toBeUndefined()
    expect(reader.stats()).toMatchObject({ l1Hits: 0, l2Hits: 0, misses: 0 })
    expect(await reader.get('k')).toBe(42)
    expect(reader.getIfPresent('k')).toBe(42)
    await Promise.all([writer.close(), reader.close()])
  })

  it('never answers an expired copy or one a tag invalidation removed', async () => {
    let now = 1_000_000
    const cache = createCache({ l2: memoryStore(), clock: () => now })
    await cache.set('short', 1, { ttl: 1_000 })
    await cache.set('tagged', 2, { ttl: 60_000, tags: ['t'] })
    expect(cache.getIfPresent('short')).toBe(1)
    now += 1_001
    expect(cache.getIfPresent('short')).toBeUndefined()
    expect(cache.getIfPresent('tagged')).toBe(2)
    await cache.deleteByTag(['t'])
    expect(cache.getIfPresent('tagged')).toBeUndefined()
    await cache.close()
  })

  it('runs beforeGet hooks, and throws synchronously on a closed cache or an invalid key', async () => {
    const seen: string[] = []
    const cache = createCache({ l2: memoryStore(), hooks: [{ name: 'audit', beforeGet: ({ key }) => void seen.push(key) }] })
    await cache.set('k', 1)
    expect(cache.getIfPresent('k')).toBe(1)
    expect(seen).toEqual(['k'])
    expect(() => cache.getIfPresent(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'E_KEY_INVALID' }) as Error)
    await cache.close()
    expect(() => cache.getIfPresent('k')).toThrow(expect.objectContaining({ code: 'E_CACHE_CLOSED' }) as Error)
  })

  it('has nothing to answer from a cache without L1', async () => {
    const cache = createCache({ l1: false, l2: memoryStore() })
    await cache.set('k', 1)
    expect(cache.getIfPresent('k')).toBeUndefined()
    await cache.close()
  })
})
