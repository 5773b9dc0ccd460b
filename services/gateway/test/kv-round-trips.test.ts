import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { L2Store } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { requireRedis, servers } from '@strata/testkit'
import { ScriptedOrigin, json, startGateway, type TestGateway } from './support/harness.js'

const JSON_HEADERS = { 'content-type': 'application/json' }

/** Real Redis, counting the reads the engine sends it (GET and MGET round trips). */
function countingRedis(): { store: L2Store; reads: () => number; reset: () => void } {
  const inner = redisStore({ url: servers.redisUrl })
  let reads = 0
  const store = new Proxy(inner, {
    get(target, property) {
      const member: unknown = Reflect.get(target, property, target)
      if (typeof member !== 'function') return member
      const bound = (member as (...args: unknown[]) => unknown).bind(target)
      if (property !== 'get' && property !== 'getMany') return bound
      return (...args: unknown[]) => {
        reads++
        return bound(...args)
      }
    },
  })
  return { store, reads: () => reads, reset: () => (reads = 0) }
}

// The KV routes answer the value and its metadata (ETag, Age, X-Cache-TTL, Cache-Status) from the engine's one read
// or write: reading the key back for its metadata cost a second L2 round trip whenever L1 keeps no copy.
describe('KV GET and PUT read L2 once, not again for the metadata (real Redis)', () => {
  let gw: TestGateway | undefined
  let origin: ScriptedOrigin
  let redis: ReturnType<typeof countingRedis>

  beforeAll(async () => {
    await requireRedis()
    origin = await new ScriptedOrigin().start()
  })
  afterAll(async () => origin.stop())
  afterEach(async () => {
    await gw?.stop()
    gw = undefined
  })

  /**
   * l1Ttl 0: this instance keeps no copy it would serve, so every read asks L2, the fleet's truth. Stampede 'local':
   * a fleet lease adds one read of its own on a miss (after taking the lease, to see whether another gateway filled
   * the key meanwhile), which is not what is counted here.
   */
  async function gateway(grace: number): Promise<TestGateway> {
    redis = countingRedis()
    gw = await startGateway({ l2: redis.store, namespaces: { plain: { ttl: 60_000, grace, l1Ttl: 0 } } })
    const path = `/rt-${grace}/{key}`
    const created = await gw.app.inject({
      method: 'PUT',
      url: '/v1/admin/namespaces/through',
      headers: JSON_HEADERS,
      payload: json({ ttl: 60_000, grace, l1Ttl: 0, stampede: 'local', origin: { url: `${origin.url}${path}` } }),
    })
    expect(created.statusCode).toBeLessThan(300)
    return gw
  }

  it('a GET miss that reads through the origin reads L2 once; so does the next GET, an L2 hit', async () => {
    origin.on('/rt-0/a', () => ({ headers: { 'content-type': 'application/json' }, body: json({ id: 'a' }) }))
    const { app } = await gateway(0)
    redis.reset()
    const miss = await app.inject({ method: 'GET', url: '/v1/namespaces/through/keys/a' })
    expect(miss.statusCode).toBe(200)
    expect(miss.headers['x-cache']).toBe('MISS')
    expect(miss.headers.etag).toMatch(/^"\d+"$/)
    expect(Number(miss.headers['x-cache-ttl'])).toBe(60)
    expect(redis.reads()).toBe(1)

    redis.reset()
    const hit = await app.inject({ method: 'GET', url: '/v1/namespaces/through/keys/a' })
    expect(hit.statusCode).toBe(200)
    expect(hit.headers['x-cache']).toBe('HIT')
    expect(hit.headers.etag).toBe(miss.headers.etag)
    expect(redis.reads()).toBe(1)
    expect(origin.hitsOf('/rt-0/a')).toBe(1)
  })

  it('an origin answer that must not be stored reads L2 once and carries no ETag of another entry', async () => {
    origin.on('/rt-0/private', () => ({ headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: json({ secret: 1 }) }))
    const { app } = await gateway(0)
    redis.reset()
    const answer = await app.inject({ method: 'GET', url: '/v1/namespaces/through/keys/private' })
    expect(answer.statusCode).toBe(200)
    expect(answer.json()).toEqual({ secret: 1 })
    expect(answer.headers.etag).toBeUndefined()
    expect(answer.headers['cache-status']).not.toContain('stored')
    expect(redis.reads()).toBe(1)
  })

  it('a PUT reads nothing back; a conditional PUT reads L2 once, for its condition', async () => {
    const { app } = await gateway(0)
    redis.reset()
    const put = await app.inject({ method: 'PUT', url: '/v1/namespaces/plain/keys/k', headers: JSON_HEADERS, payload: json({ value: 1, ttl: 30_000 }) })
    expect(put.statusCode).toBe(200)
    const written = put.json<{ etag: string; version: number; expiresAt: number }>()
    expect(put.headers.etag).toBe(written.etag)
    expect(Number(put.headers['x-cache-ttl'])).toBe(30)
    expect(redis.reads()).toBe(0)

    redis.reset()
    const conditional = await app.inject({ method: 'PUT', url: '/v1/namespaces/plain/keys/k', headers: { ...JSON_HEADERS, 'if-match': written.etag }, payload: json({ value: 2 }) })
    expect(conditional.statusCode).toBe(200)
    expect(redis.reads()).toBe(1)
    const next = conditional.json<{ etag: string; version: number }>()
    expect(next.version).toBeGreaterThan(written.version)
    // The ETag the PUT answered is the entry's as every reader sees it.
    const read = await app.inject({ method: 'GET', url: '/v1/namespaces/plain/keys/k' })
    expect(read.headers.etag).toBe(next.etag)
  })

  it('with grace and l1Ttl 0, the headers describe the entry, not L1\'s stale fallback copy', async () => {
    origin.on('/rt-30000/g', () => ({ headers: { 'content-type': 'application/json' }, body: json({ id: 'g' }) }))
    const { app } = await gateway(30_000)
    const miss = await app.inject({ method: 'GET', url: '/v1/namespaces/through/keys/g' })
    expect(miss.headers['x-cache']).toBe('MISS')
    expect(Number(miss.headers['x-cache-ttl'])).toBe(60)
    expect(miss.headers['cache-status']).toMatch(/; stored; ttl=(59|60)$/)
  })
})
