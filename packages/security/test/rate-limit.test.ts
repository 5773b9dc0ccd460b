import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireRedis, servers, uniqueName } from '@strata/testkit'
import { MemoryRateLimiter, RedisRateLimiter, type RateLimiter } from '../src/index.js'

const clients: Redis[] = []
beforeAll(async () => {
  await requireRedis()
})
afterAll(() => {
  for (const client of clients) client.disconnect()
})

function redisLimiter(prefix: string, clock: () => number): RateLimiter {
  const client = new Redis(servers.redisUrl)
  clients.push(client)
  return new RedisRateLimiter(client, prefix, clock)
}

describe('RedisRateLimiter', () => {
  it('shares one bucket between instances (separate connections) and says when to retry', async () => {
    let now = 1_000_000
    const prefix = uniqueName('rl')
    const a = redisLimiter(prefix, () => now)
    const b = redisLimiter(prefix, () => now)
    const limit = { perSecond: 2, burst: 4 }
    const results = []
    for (let i = 0; i < 6; i++) results.push(await (i % 2 === 0 ? a : b).take('key:x', limit))
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, false, false])
    expect(results[4]?.retryAfterMs).toBe(500)
    expect((await a.take('key:other', limit)).allowed).toBe(true)
    now += 500
    expect((await b.take('key:x', limit)).allowed).toBe(true)
    expect((await a.take('key:x', limit)).allowed).toBe(false)
  })
})

describe('MemoryRateLimiter', () => {
  it('refills at the rate, up to the burst', async () => {
    let now = 0
    const limiter = new MemoryRateLimiter(() => now)
    const limit = { perSecond: 10, burst: 2 }
    expect((await limiter.take('k', limit)).allowed).toBe(true)
    expect((await limiter.take('k', limit)).allowed).toBe(true)
    expect(await limiter.take('k', limit)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 100 })
    now = 10_000
    expect((await limiter.take('k', limit)).remaining).toBe(1)
  })
})
