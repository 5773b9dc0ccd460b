import { describe, expect, it } from 'vitest'
import { memoryStore } from '../stores/memory/memory-store.js'
import type { L2Store } from '../stores/l2-store.js'
import { createCache } from './strata-cache.js'
import type { CacheEventMap } from './cache-events.js'

/** Counts the calls each L2 method receives, to prove bulk operations are single round trips. */
function countingStore(inner: L2Store): { store: L2Store; calls: Map<string, number> } {
  const calls = new Map<string, number>()
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        calls.set(String(property), (calls.get(String(property)) ?? 0) + 1)
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
  return { store, calls }
}

describe('StrataCache', () => {
  it('reads, writes and deletes many keys in one L2 round trip each', async () => {
    const { store, calls } = countingStore(memoryStore())
    const cache = createCache({ l1: false, l2: store })
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`)
    await cache.setMany(keys.map((key) => ({ key, value: key })))
    expect(calls.get('setMany')).toBe(1)
    expect(calls.get('set')).toBeUndefined()
    expect(await cache.getMany(keys)).toEqual(keys)
    expect(calls.get('getMany')).toBe(1)
    expect(calls.get('get')).toBeUndefined()
    await cache.deleteMany(keys)
    expect(calls.get('deleteMany')).toBe(1)
    expect(calls.get('delete')).toBeUndefined()
    await cache.close()
  })

  it('batch-loads misses with one loader call and one L2 write', async () => {
    const { store, calls } = countingStore(memoryStore())
    const cache = createCache({ l1: false, l2: store, policy: { stampede: 'local' } })
    let loaderCalls = 0
    const values = await cache.getOrSetMany(['a', 'b', 'c'], async (keys) => {
      loaderCalls++
      return new Map(keys.map((key) => [key, key.toUpperCase()]))
    })
    expect(values).toEqual(['A', 'B', 'C'])
    expect(loaderCalls).toBe(1)
    expect(calls.get('getMany')).toBe(1)
    await cache.close()
  })

  it('emits events without values and counts per namespace and tier', async () => {
    const events: { name: keyof CacheEventMap; event: unknown }[] = []
    const cache = createCache({ l1: { maxEntries: 2, policy: 'lru' }, l2: memoryStore() })
    for (const name of ['hit', 'miss', 'set', 'delete', 'evict', 'load'] as const) {
      cache.on(name, (event) => events.push({ name, event }))
    }
    const users = cache.namespace('users')
    await users.set('1', { secret: 's3cr3t' })
    await users.get('1')
    await users.get('missing')
    await users.getOrSet('2', () => 'two')
    await users.set('3', 'three')
    await users.delete('3')
    const names = events.map((e) => e.name)
    expect(names).toEqual(expect.arrayContaining(['set', 'hit', 'miss', 'load', 'evict', 'delete']))
    expect(JSON.stringify(events)).not.toContain('s3cr3t')
    expect(events.find((e) => e.name === 'hit')?.event).toEqual({ namespace: 'users', key: '1', tier: 'l1', stale: false })
    const stats = users.stats()
    expect(stats.l1Hits).toBe(1)
    expect(stats.misses).toBe(2)
    expect(stats.loads).toBe(1)
    expect(stats.l1Evictions).toBeGreaterThanOrEqual(1)
    expect(cache.stats().l1Hits).toBe(0)
    await cache.close()
  })

  it('counts the reads that join a load under way as coalesced, not misses, and as hits in the ratio', async () => {
    const cache = createCache()
    const items = cache.namespace('items')
    const misses: Array<CacheEventMap['miss']> = []
    cache.on('miss', (event) => misses.push(event))
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    let loads = 0
    const reads = Array.from({ length: 100 }, () =>
      items.getOrSet('cold', async () => {
        loads++
        await gate
        return 'v'
      }),
    )
    await new Promise((resolve) => setTimeout(resolve, 10))
    release()
    expect(new Set(await Promise.all(reads))).toEqual(new Set(['v']))
    expect(loads).toBe(1)
    expect(items.stats()).toMatchObject({ misses: 1, coalesced: 99, hitRatio: 0.99 })
    expect(misses.filter((event) => event.coalesced === true)).toHaveLength(99)
    await cache.close()
  })

  it('refuses to hand out a namespace with another policy, and returns the same one otherwise', async () => {
    const cache = createCache()
    const a = cache.namespace('orders', { ttl: 10_000 })
    expect(cache.namespace('orders', { ttl: 10_000 })).toBe(a)
    expect(cache.namespace('orders')).toBe(a)
    expect(() => cache.namespace('orders', { ttl: 20_000 })).toThrow(/already exists/)
    await cache.close()
  })

  it('refuses calls after close with E_CACHE_CLOSED', async () => {
    const cache = createCache()
    await cache.close()
    await expect(cache.get('k')).rejects.toMatchObject({ code: 'E_CACHE_CLOSED' })
    await expect(cache.set('k', 1)).rejects.toMatchObject({ code: 'E_CACHE_CLOSED' })
  })

  it('rejects (never throws synchronously) on a bad key', async () => {
    const cache = createCache()
    const pending = cache.get(42 as unknown as string)
    expect(pending).toBeInstanceOf(Promise)
    await expect(pending).rejects.toMatchObject({ code: 'E_KEY_INVALID' })
    await cache.close()
  })

  it('refuses keys with control characters, short or long, and accepts the characters around them', async () => {
    const cache = createCache()
    for (const key of ['a\u0000b', 'tab\there', 'del\u007f', `${'x'.repeat(40)}\u001f`, `\n${'y'.repeat(40)}`]) {
      await expect(cache.set(key, 1)).rejects.toMatchObject({ code: 'E_KEY_INVALID' })
      await expect(cache.get(key)).rejects.toMatchObject({ code: 'E_KEY_INVALID' })
    }
    for (const key of ['sp ace', '~tilde', '\u0080latin', `${'z'.repeat(40)} ~`]) {
      await cache.set(key, key)
      expect(await cache.get(key)).toBe(key)
    }
    await cache.close()
  })

  it('reports health of both tiers', async () => {
    const cache = createCache({ l2: memoryStore() })
    await cache.set('k', 1)
    expect(await cache.health()).toEqual({
      l1: { entries: 1 },
      l2: { name: 'memory', reachable: true, circuit: 'closed', pendingInvalidations: 0 },
    })
    await cache.close()
  })
})
