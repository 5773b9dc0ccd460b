import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isStrataError } from '@strata/core'
import { requireRedis, servers, startThrowawayRedis, uniqueName, type ThrowawayRedis } from '@strata/testkit'
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

describe('RedisRateLimiter while its Redis fails over', () => {
  // A throwaway server of this test's own: it is demoted and killed, which the shared one must never be.
  let redis: ThrowawayRedis
  beforeAll(async () => {
    redis = await startThrowawayRedis()
  })
  afterAll(async () => {
    await redis?.dispose()
  })

  it('refuses with E_RATE_LIMIT_UNAVAILABLE and a retryAfterMs, never an untyped ioredis error', async () => {
    const limiter = new RedisRateLimiter(redis.client, uniqueName('rl'))
    // A slow key takes one token per request; a busy one takes leases (its first, of one token, spent at once).
    const slow = { perSecond: 5, burst: 5 }
    const busy = { perSecond: 1_000, burst: 1_000 }
    expect((await limiter.take('key:slow', slow)).allowed).toBe(true)
    expect((await limiter.take('key:busy', busy)).allowed).toBe(true)

    // What a demoted primary answers in a Sentinel failover: the script's write fails with READONLY.
    await redis.demote()
    for (const [subject, limit] of [['key:slow', slow], ['key:busy', busy]] as const) {
      const readonly = await limiter.take(subject, limit).catch((error: unknown) => error)
      expect(isStrataError(readonly, 'E_RATE_LIMIT_UNAVAILABLE'), `${subject}: ${String(readonly)}`).toBe(true)
      expect((readonly as { context: Record<string, unknown> }).context.retryAfterMs).toBe(1_000)
      expect(((readonly as Error).cause as Error).message).toMatch(/^READONLY/)
    }

    // The primary gone: the command outlives its retries (MaxRetriesPerRequestError) or finds the connection closed.
    await redis.server.kill()
    for (const [subject, limit] of [['key:slow', slow], ['key:busy', busy]] as const) {
      const gone = await limiter.take(subject, limit).catch((error: unknown) => error)
      expect(isStrataError(gone, 'E_RATE_LIMIT_UNAVAILABLE'), `${subject}: ${String(gone)}`).toBe(true)
    }
  })

  it('lets an error that is not an outage through untouched (a bug must stay a 500)', async () => {
    const broken = new Redis(servers.redisUrl)
    clients.push(broken)
    const key = uniqueName('rl-wrongtype')
    await broken.set(`${key}:{key:a}`, 'not a hash')
    const error = await new RedisRateLimiter(broken, key).take('key:a', { perSecond: 1, burst: 1 }).catch((caught: unknown) => caught)
    expect(isStrataError(error)).toBe(false)
    expect(String(error)).toContain('WRONGTYPE')
    await broken.del(`${key}:{key:a}`)
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

describe('RedisRateLimiter leases', () => {
  /** A limiter on its own connection that counts its Redis calls. */
  function counted(prefix: string, clock: () => number): { limiter: RateLimiter; calls: () => number } {
    const client = new Redis(servers.redisUrl)
    clients.push(client)
    const limiter = new RedisRateLimiter(client, prefix, clock)
    const script = client as unknown as { strataTokenBucket: (...args: unknown[]) => Promise<unknown> }
    const original = script.strataTokenBucket.bind(client)
    let calls = 0
    script.strataTokenBucket = (...args: unknown[]) => {
      calls++
      return original(...args)
    }
    return { limiter, calls: () => calls }
  }

  it('a busy key spends tokens taken ahead, and two instances together never pass the shared limit', async () => {
    const now = 5_000_000
    const prefix = uniqueName('rl')
    const a = counted(prefix, () => now)
    const b = counted(prefix, () => now)
    const limit = { perSecond: 10_000, burst: 1_000 }
    // Concurrent takes on both instances; the clock stands still, so exactly the burst may pass, no more.
    const decisions = await Promise.all(Array.from({ length: 1_500 }, (_, i) => (i % 2 === 0 ? a : b).limiter.take('key:busy', limit)))
    expect(decisions.filter((d) => d.allowed)).toHaveLength(1_000)
    expect(decisions.filter((d) => !d.allowed).every((d) => d.retryAfterMs >= 1)).toBe(true)
    // Leases grow while they are spent: far fewer round trips than requests.
    expect(a.calls() + b.calls()).toBeLessThan(200)
  })

  it('hands unspent tokens back, so a lease that expired costs the bucket nothing', async () => {
    let now = 7_000_000
    const prefix = uniqueName('rl')
    const a = counted(prefix, () => now)
    const b = counted(prefix, () => now)
    // Leases of up to 10 tokens; a burst far above what the test spends, so the bucket is never capped.
    const limit = { perSecond: 100, burst: 10_000 }
    // a's leases grow (1, 2, 4, 8, 10, 10, 10): after 40 takes it holds 5 unspent tokens.
    for (let i = 0; i < 40; i++) expect((await a.limiter.take('key:k', limit)).allowed).toBe(true)
    now += 150 // a's lease expires
    const before = (await b.limiter.take('key:k', limit)).remaining
    // a's next lease hands its 5 back and takes 5 (halved: the last one was not spent): the bucket is where it was.
    await a.limiter.take('key:k', limit)
    const after = (await b.limiter.take('key:k', limit)).remaining
    // b's own second lease takes 2 and keeps 1; without the hand-back the bucket would be 5 lower.
    expect(after).toBe(before - 1)
  })

  it('keys under 10/s take one token per request, as without leases', async () => {
    const now = 9_000_000
    const a = counted(uniqueName('rl'), () => now)
    const limit = { perSecond: 5, burst: 20 }
    for (let i = 0; i < 10; i++) await a.limiter.take('key:slow', limit)
    expect(a.calls()).toBe(10)
  })
})
