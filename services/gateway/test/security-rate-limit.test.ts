import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireRedis, servers, uniqueName } from '@strata/testkit'
import { ApiKeys, MemoryApiKeyStore, RedisRateLimiter } from '@strata/security'
import { startGateway, type TestGateway } from './support/harness.js'
import { TestAuth } from './support/auth.js'

/** Acceptance 4 of issue 10: a key's rate limit holds across two gateway instances that share Redis. */
describe('rate limits per key, across two gateway instances', () => {
  const clients: Redis[] = []
  const gateways: TestGateway[] = []
  beforeAll(async () => {
    await requireRedis()
  })
  afterAll(async () => {
    for (const gw of gateways) await gw.stop()
    for (const client of clients) client.disconnect()
  })

  it('answers 429 with Retry-After once the key has used its burst on either instance', async () => {
    const prefix = uniqueName('gw')
    const limitPrefix = uniqueName('rl')
    const apiKeys = new ApiKeys(new MemoryApiKeyStore())
    const instance = async () => {
      // Each instance has its own Redis connection, as separate processes would.
      const redis = new Redis(servers.redisUrl)
      clients.push(redis)
      // A clock that stands still, so no token comes back during the test however slow the machine is.
      const auth = new TestAuth({ apiKeys, rateLimiter: new RedisRateLimiter(redis, limitPrefix, () => 1_000_000) })
      const gw = await startGateway({ prefix, auth: auth.auth, namespaces: { shop: { ttl: 60_000 } } })
      gateways.push(gw)
      return gw
    }
    const a = await instance()
    const b = await instance()
    const { token } = await apiKeys.create({ name: 'limited', grants: [{ namespace: 'shop', scopes: ['read'] }], rateLimit: { perSecond: 0.5, burst: 4 } })
    const { token: other } = await apiKeys.create({ name: 'other', grants: [{ namespace: 'shop', scopes: ['read'] }], rateLimit: { perSecond: 0.5, burst: 4 } })
    const get = (gw: TestGateway, key = token) => gw.app.inject({ method: 'GET', url: '/v1/namespaces/shop/keys/x', headers: { 'x-api-key': key } })

    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await get(i % 2 === 0 ? a : b)).statusCode)
    expect(statuses).toEqual([404, 404, 404, 404])
    const refusedOnA = await get(a)
    const refusedOnB = await get(b)
    for (const refused of [refusedOnA, refusedOnB]) {
      expect(refused.statusCode).toBe(429)
      expect(refused.headers['content-type']).toContain('application/problem+json')
      expect(refused.json()).toMatchObject({ code: 'E_RATE_LIMITED' })
      expect(refused.headers['retry-after']).toBe('2')
    }
    // Another key has a bucket of its own.
    expect((await get(b, other)).statusCode).toBe(404)
  })
})
