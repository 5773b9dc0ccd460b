import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireRedis, servers, startThrowawayRedis, uniqueName, type ThrowawayRedis } from '@strata/testkit'
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

/**
 * The rate limits live on the L2's Redis: in a Sentinel failover the coherence suite saw 16-18 writes answered 500
 * (an untyped MaxRetriesPerRequestError from the limiter). A request that cannot be counted is a 503 with Retry-After.
 */
describe('rate limits while their Redis fails over', () => {
  let redis: ThrowawayRedis
  let gw: TestGateway | undefined
  beforeAll(async () => {
    redis = await startThrowawayRedis()
  })
  afterAll(async () => {
    await gw?.stop()
    await redis?.dispose()
  })

  it('answers reads and writes 503 E_RATE_LIMIT_UNAVAILABLE with Retry-After, demoted or gone, and serves again after', async () => {
    const auth = new TestAuth({ rateLimiter: new RedisRateLimiter(redis.client, uniqueName('rl')) })
    gw = await startGateway({ prefix: uniqueName('gw'), auth: auth.auth, namespaces: { shop: { ttl: 60_000 } } })
    // Under 10/s a key takes one token per request from Redis (no lease a request could be answered from locally).
    const { token } = await auth.apiKeys.create({ name: 'writer', grants: [{ namespace: 'shop', scopes: ['read', 'write'] }], rateLimit: { perSecond: 9, burst: 100 } })
    const put = () => gw!.app.inject({ method: 'PUT', url: '/v1/namespaces/shop/keys/x', headers: { 'x-api-key': token }, payload: { value: 1 } })
    const get = () => gw!.app.inject({ method: 'GET', url: '/v1/namespaces/shop/keys/x', headers: { 'x-api-key': token } })
    expect((await put()).statusCode).toBe(200)

    const expectUnavailable = (answer: Awaited<ReturnType<typeof get>>) => {
      expect(answer.statusCode).toBe(503)
      expect(answer.headers['content-type']).toContain('application/problem+json')
      expect(answer.json()).toMatchObject({ code: 'E_RATE_LIMIT_UNAVAILABLE', status: 503 })
      expect(answer.headers['retry-after']).toBe('1')
    }
    // The old primary demoted (READONLY), then gone (retries exhausted).
    await redis.demote()
    expectUnavailable(await put())
    expectUnavailable(await get())
    await redis.server.kill()
    expectUnavailable(await put())

    await redis.server.start()
    await redis.promote().catch(() => undefined)
    expect((await put()).statusCode).toBe(200)
    expect((await get()).statusCode).toBe(200)
  })
})
