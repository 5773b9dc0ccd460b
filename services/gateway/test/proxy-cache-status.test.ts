import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { requireRedis } from '@strata/testkit'
import { ScriptedOrigin, TestClock, json, startGateway, type TestGateway } from './support/harness.js'

/**
 * Cache-Status (RFC 9211) on every proxy and KV answer, and targeted Cache-Control fields (RFC 9213), end to end over
 * real Redis. Each case asserts the whole field, so a changed parameter fails the test.
 */
describe('Cache-Status (RFC 9211) and CDN-Cache-Control (RFC 9213)', () => {
  let origin: ScriptedOrigin
  let gw: TestGateway
  let clock: TestClock
  let n = 0
  let path = ''

  beforeAll(async () => {
    await requireRedis()
    origin = await new ScriptedOrigin().start()
  })
  afterAll(async () => origin.stop())
  beforeEach(async () => {
    clock = new TestClock(Math.floor(Date.now() / 1000) * 1000)
    gw = await startGateway({
      clock: clock.now,
      upstreams: {
        up: { url: origin.url, timeoutMs: 2_000 },
        keyed: { url: origin.url, cacheStatusKey: true, targetedCacheControl: 'Strata-Cache-Control' },
      },
      namespaces: { cs: { ttl: 60_000 } },
    })
    path = `/cs/${++n}-${Date.now()}`
  })
  afterEach(async () => gw.stop())

  const serve = (answer: (i: number) => { status?: number; headers?: Record<string, string>; body?: string }) => {
    let i = 0
    origin.on(path, () => {
      const a = answer(i++)
      return { ...a, headers: { date: new Date(clock.time).toUTCString(), ...a.headers } }
    })
  }
  const get = (headers: Record<string, string> = {}, upstream = 'up') => gw.app.inject({ method: 'GET', url: `/proxy/${upstream}${path}`, headers })
  const status = async (headers: Record<string, string> = {}, upstream = 'up') => (await get(headers, upstream)).headers['cache-status']

  it('miss (uri-miss, stored, ttl), then hit with the remaining ttl', async () => {
    serve(() => ({ headers: { 'cache-control': 'max-age=60' }, body: 'x' }))
    expect(await status()).toBe('Strata; fwd=uri-miss; fwd-status=200; stored; ttl=60')
    clock.advance(15_000)
    expect(await status()).toBe('Strata; hit; ttl=45')
  })

  it('/metrics counts proxy answers by X-Cache outcome, and only proxy answers', async () => {
    serve(() => ({ headers: { 'cache-control': 'max-age=60' }, body: 'x' }))
    const count = async (outcome: string) => {
      const text = (await gw.app.inject({ method: 'GET', url: '/metrics' })).body
      return Number(new RegExp(`^strata_proxy_responses_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0)
    }
    await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/cs/keys/k', payload: { value: 1 } })
    const before = { miss: await count('MISS'), hit: await count('HIT') }
    await get()
    await get()
    // A KV hit carries X-Cache: HIT too, and is not a proxy answer.
    expect((await gw.app.inject({ method: 'GET', url: '/v1/namespaces/cs/keys/k' })).headers['x-cache']).toBe('HIT')
    expect({ miss: await count('MISS'), hit: await count('HIT') }).toEqual({ miss: before.miss + 1, hit: before.hit + 1 })
  })

  it('a response that may not be stored says why', async () => {
    serve(() => ({ headers: { 'cache-control': 'private, max-age=60' }, body: 'x' }))
    expect(await status()).toBe('Strata; fwd=uri-miss; fwd-status=200; detail="not stored: private"')
  })

  it('stale served by fail-safe (stale-if-error) on an origin 5xx: fwd=stale, the origin status, a negative ttl', async () => {
    serve((i) => (i === 0 ? { headers: { 'cache-control': 'max-age=10, stale-if-error=300' }, body: 'x' } : { status: 503, body: 'down' }))
    await get()
    clock.advance(40_000)
    const answer = await get()
    expect(answer.body).toBe('x')
    expect(answer.headers['x-cache']).toBe('STALE')
    expect(answer.headers['cache-status']).toBe('Strata; fwd=stale; fwd-status=503; ttl=-30; detail="stale-if-error"')
  })

  it('stale-while-revalidate: a hit with a negative ttl', async () => {
    serve(() => ({ headers: { 'cache-control': 'max-age=10, stale-while-revalidate=60' }, body: 'x' }))
    await get()
    clock.advance(20_000)
    expect(await status()).toBe('Strata; hit; ttl=-10; detail="stale-while-revalidate"')
  })

  it('revalidated: fwd=stale with fwd-status=304; a fresh response the client refused is fwd=request', async () => {
    serve(() => ({ headers: { 'cache-control': 'max-age=10', etag: '"e1"' }, status: 200, body: 'x' }))
    await get()
    origin.on(path, (r) => (r.headers['if-none-match'] === '"e1"' ? { status: 304, headers: { etag: '"e1"', 'cache-control': 'max-age=10', date: new Date(clock.time).toUTCString() } } : { body: 'y' }))
    clock.advance(20_000)
    expect(await status()).toBe('Strata; fwd=stale; fwd-status=304; stored; ttl=10')
    expect(await status({ 'cache-control': 'no-cache' })).toBe('Strata; fwd=request; fwd-status=304; stored; ttl=10')
  })

  it('bypass: a Range request and an unsafe method say so; a Vary miss is vary-miss; a collapsed request says collapsed', async () => {
    serve(() => ({ headers: { 'cache-control': 'max-age=60', vary: 'Accept-Language' }, body: 'x' }))
    expect(await status({ range: 'bytes=0-0' })).toBe('Strata; fwd=bypass; fwd-status=200; detail="range"')
    expect((await gw.app.inject({ method: 'POST', url: `/proxy/up${path}`, headers: { 'content-type': 'text/plain' }, payload: 'p' })).headers['cache-status']).toBe('Strata; fwd=method; fwd-status=200')
    // The POST invalidated the URL at this instant of the test clock; what is stored after it comes later.
    clock.advance(1_000)
    await get({ 'accept-language': 'en' })
    expect(await status({ 'accept-language': 'fr' })).toBe('Strata; fwd=vary-miss; fwd-status=200; stored; ttl=60')

    const slow = `${path}-slow`
    origin.on(slow, async () => {
      await new Promise((r) => setTimeout(r, 200))
      return { headers: { 'cache-control': 'max-age=60', date: new Date(clock.time).toUTCString() }, body: 'z' }
    })
    const both = await Promise.all([1, 2].map(() => gw.app.inject({ method: 'GET', url: `/proxy/up${slow}` })))
    expect(both.map((a) => a.headers['cache-status']).sort()).toEqual(['Strata; fwd=uri-miss; fwd-status=200; stored; collapsed; ttl=60', 'Strata; fwd=uri-miss; fwd-status=200; stored; ttl=60'])
    expect(origin.hitsOf(slow)).toBe(1)
  })

  it('names the cache key when the upstream asks for it; an origin error still says what happened', async () => {
    serve(() => ({ headers: { 'cache-control': 'max-age=60' }, body: 'x' }))
    expect(await status({}, 'keyed')).toBe(`Strata; fwd=uri-miss; fwd-status=200; stored; ttl=60; key="${path}"`)
    expect(await status({}, 'keyed')).toBe(`Strata; hit; ttl=60; key="${path}"`)
    const dead = await startGateway({ upstreams: { dead: { url: 'http://127.0.0.1:1', timeoutMs: 500 } } })
    try {
      const answer = await dead.app.inject({ method: 'GET', url: '/proxy/dead/x' })
      expect(answer.statusCode).toBe(502)
      expect(answer.headers['cache-status']).toBe('Strata; fwd=miss; detail="E_ORIGIN_FAILED"')
      expect(answer.json().detail).toBe("Upstream 'dead' refused the connection")
    } finally {
      await dead.stop()
    }
  })

  it('RFC 9213: CDN-Cache-Control overrides Cache-Control for this cache; the browser keeps Cache-Control', async () => {
    serve(() => ({ headers: { 'cache-control': 'no-store', 'cdn-cache-control': 'max-age=120' }, body: 'x' }))
    const first = await get()
    expect(first.headers['cache-status']).toBe('Strata; fwd=uri-miss; fwd-status=200; stored; ttl=120')
    expect(first.headers['cache-control']).toBe('no-store')
    clock.advance(60_000)
    expect(await status()).toBe('Strata; hit; ttl=60')
  })

  it('RFC 9213: the configured targeted field wins over CDN-Cache-Control and is not shown to clients', async () => {
    serve(() => ({ headers: { 'cache-control': 'max-age=5', 'cdn-cache-control': 'max-age=120', 'strata-cache-control': 'max-age=30', etag: '"t"' }, body: 'x' }))
    const first = await get({}, 'keyed')
    expect(first.headers['strata-cache-control']).toBeUndefined()
    expect(first.headers['cdn-cache-control']).toBe('max-age=120')
    clock.advance(31_000)
    expect((await get({}, 'keyed')).headers['cache-status']).toMatch(/^Strata; fwd=stale; fwd-status=200; stored; ttl=30/)
  })

  it('KV answers carry Cache-Status too: a hit with its ttl; a miss without an origin', async () => {
    await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/cs/keys/k1', headers: { 'content-type': 'application/json' }, payload: json({ value: 1, ttl: 30_000 }) })
    expect((await gw.app.inject({ method: 'GET', url: '/v1/namespaces/cs/keys/k1' })).headers['cache-status']).toBe('Strata; hit; ttl=30')
    const missing = await gw.app.inject({ method: 'GET', url: '/v1/namespaces/cs/keys/nope' })
    expect(missing.statusCode).toBe(404)
    expect(missing.headers['cache-status']).toBe('Strata; fwd=uri-miss; detail="no origin"')
  })
})
