import { describe, expect, it } from 'vitest'
import { memoryStore } from '../stores/index.js'
import { createCache } from './strata-cache.js'

describe('StrataCache.defineNamespace / removeNamespace', () => {
  it('replaces a namespace policy, keeping stored entries and counters', async () => {
    const cache = createCache({ l2: memoryStore() })
    const first = cache.defineNamespace('users', { ttl: 1_000 })
    await first.set('a', 1)
    expect(await first.get('a')).toBe(1)
    const second = cache.defineNamespace('users', { ttl: 5_000 })
    expect(second).not.toBe(first)
    expect(second.policy.ttl).toBe(5_000)
    expect(cache.namespace('users')).toBe(second)
    expect(await second.get('a')).toBe(1)
    expect(second.stats().sets).toBe(1)
    await cache.close()
  })

  it('keeps tag invalidations across a redefinition, so invalidated entries stay gone', async () => {
    const cache = createCache()
    const first = cache.defineNamespace('users', { ttl: 60_000 })
    await first.set('a', 1, { tags: ['t'] })
    await first.deleteByTag(['t'])
    const second = cache.defineNamespace('users', { ttl: 30_000 })
    expect(await second.get('a')).toBeUndefined()
    await cache.close()
  })

  it('refuses the default namespace and invalid policies; removeNamespace forgets a namespace', async () => {
    const cache = createCache()
    expect(() => cache.defineNamespace('default', {})).toThrow(/default/)
    expect(() => cache.defineNamespace('x', { ttl: -1 })).toThrow(expect.objectContaining({ code: 'E_INVALID_TTL' }))
    cache.defineNamespace('x', { ttl: 1_000 })
    expect(cache.removeNamespace('x')).toBe(true)
    expect(cache.removeNamespace('x')).toBe(false)
    expect(cache.listNamespaces()).not.toContain('x')
    await cache.close()
  })
})
