import * as vitest from 'vitest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import keyvTestSuite, { keyvIteratorTests } from '@keyv/test-suite'
import { createCache as createCacheManager } from 'cache-manager'
import { Keyv } from 'keyv'
import { createCache, type StrataCache } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { requireRedis, servers, uniqueName } from '@strata/testkit'
import { StrataKeyvStore } from '../src/keyv/index.js'

void keyvIteratorTests // Strata has no key listing, so the optional iterator suite is not part of this adapter.

// Keyv's published adapter suite (API, values, namespaces), run twice against a Strata cache on real Redis: with an
// L1 in front, and L2 only (every read goes to Redis).
for (const l1 of [true, false]) {
  describe(`@keyv/test-suite: StrataKeyvStore on real Redis (${l1 ? 'L1 + L2' : 'L2 only'})`, () => {
    const cache: StrataCache = createCache({ prefix: uniqueName('keyv'), l2: redisStore({ url: servers.redisUrl }), ...(l1 ? {} : { l1: false }) })
    vitest.beforeAll(async () => requireRedis())
    vitest.afterAll(async () => {
      for (const name of cache.listNamespaces()) await cache.namespace(name).clear()
      await cache.close()
    })
    keyvTestSuite(vitest, Keyv, () => new StrataKeyvStore({ cache }))
  })
}

describe('StrataKeyvStore with real users of Keyv (real Redis)', () => {
  let cache: StrataCache
  const prefix = uniqueName('keyv-users')
  beforeAll(async () => {
    await requireRedis()
    cache = createCache({ prefix, l2: redisStore({ url: servers.redisUrl }) })
  })
  afterAll(async () => {
    for (const name of cache.listNamespaces()) await cache.namespace(name).clear()
    await cache.close()
  })

  it('stores Keyv data in the Strata namespace of its Keyv namespace, visible to another instance through Redis', async () => {
    const keyv = new Keyv({ store: new StrataKeyvStore({ cache }), namespace: 'sessions' })
    await keyv.set('s1', { user: 7 }, 60_000)
    expect(cache.listNamespaces()).toContain('keyv.sessions')
    const other = createCache({ prefix, l2: redisStore({ url: servers.redisUrl }) })
    try {
      const seen = await new Keyv({ store: new StrataKeyvStore({ cache: other }), namespace: 'sessions' }).get('s1')
      expect(seen).toEqual({ user: 7 })
    } finally {
      await other.close()
    }
  })

  it('serves cache-manager (built on Keyv) with Strata underneath, wrap() loading once', async () => {
    const manager = createCacheManager({ stores: [new Keyv({ store: new StrataKeyvStore({ cache }), namespace: 'cm' })] })
    let loads = 0
    const load = async () => {
      loads++
      return { id: 1 }
    }
    expect(await manager.wrap('user:1', load, 60_000)).toEqual({ id: 1 })
    expect(await manager.wrap('user:1', load, 60_000)).toEqual({ id: 1 })
    expect(loads).toBe(1)
    expect(await manager.get('user:1')).toEqual({ id: 1 })
    await manager.del('user:1')
    expect(await manager.get('user:1')).toBeUndefined()
  })
})
