import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { LocalInvalidationBus } from '@strata/core'
import { eventually, requireRedis, uniqueName } from '@strata/testkit'
import { ScriptedOrigin, TestClock, json, startGateway, type OriginReply, type TestGateway } from './support/harness.js'
import { TestAuth } from './support/auth.js'

const JSON_HEADERS = { 'content-type': 'application/json' }
const SOFT = { 'fastly-soft-purge': '1' }

/**
 * Soft purge (Fastly's convention: `PURGE` with `Fastly-Soft-Purge: 1`, or `soft: true` on POST /v1/proxy/purge): the
 * stored response stays, marked stale on every instance; the next request gets it as RFC 9111/5861 allow a stale
 * response (at once within stale-while-revalidate, while it revalidates; else after a conditional revalidation).
 */
describe('proxy soft purge', () => {
  const bus = new LocalInvalidationBus()
  let origin: ScriptedOrigin
  let a: TestGateway
  let b: TestGateway
  let base = ''
  let n = 0

  beforeAll(async () => {
    await requireRedis()
    origin = await new ScriptedOrigin().start()
    const prefix = uniqueName('gwsoft')
    a = await startGateway({ prefix, bus, upstreams: { up: { url: origin.url } } })
    b = await startGateway({ prefix, bus, upstreams: { up: { url: origin.url } } })
  })
  afterAll(async () => {
    await a.stop()
    await b.stop()
    await origin.stop()
  })
  beforeEach(() => {
    base = `/soft${++n}-${Date.now()}`
  })

  /** A representation that changes when `version` does: ETag "v<n>", body "body v<n>"; 304 to its own ETag. */
  function versioned(path: string, cacheControl: string, extra: Record<string, string> = {}) {
    const state = { version: 1 }
    origin.on(path, (request): OriginReply => {
      const etag = `"v${state.version}"`
      const headers = { 'cache-control': cacheControl, etag, ...extra }
      return request.headers['if-none-match'] === etag ? { status: 304, headers } : { headers, body: `body v${state.version}` }
    })
    return state
  }
  const get = (gw: TestGateway, path: string) => gw.app.inject({ method: 'GET', url: `/proxy/up${path}` })
  const originRequests = (path: string) => origin.requests.filter((r) => r.path === path)

  it('PURGE with Fastly-Soft-Purge: 1 serves the old body stale once while it revalidates, then the new one', async () => {
    const path = `${base}/page`
    const state = versioned(path, 'max-age=600, stale-while-revalidate=60')
    expect((await get(a, path)).body).toBe('body v1')
    expect((await get(a, path)).headers['x-cache']).toBe('HIT')
    state.version = 2

    const purged = await a.app.inject({ method: 'PURGE' as 'GET', url: `/proxy/up${path}`, headers: SOFT })
    expect(purged.statusCode).toBe(200)
    expect(purged.json()).toEqual({ purged: { urls: 1 }, soft: true })
    expect(purged.headers['cache-status']).toBe('Strata; fwd=bypass; detail="soft-purged"')

    const stale = await get(a, path)
    expect(stale.body).toBe('body v1')
    expect(stale.headers['x-cache']).toBe('STALE')
    expect(stale.headers['cache-status']).toMatch(/^Strata; hit; ttl=-?0; detail="soft-purged, stale-while-revalidate"$/)
    // The revalidation went forward in the background, conditional on the stored ETag.
    await eventually(() => expect(originRequests(path)).toHaveLength(2), 5_000)
    expect(originRequests(path)[1]!.headers['if-none-match']).toBe('"v1"')
    await eventually(async () => expect((await get(a, path)).body).toBe('body v2'), 5_000)
    const fresh = await get(a, path)
    expect(fresh.headers['x-cache']).toBe('HIT')
    expect(fresh.headers['cache-status']).toMatch(/^Strata; hit; ttl=\d+$/)
    expect(originRequests(path)).toHaveLength(2)
  })

  it('soft: true by surrogate key reaches another instance: B serves its copy stale and revalidates', async () => {
    const path = `${base}/product`
    const key = `product-${n}-${Date.now()}`
    const state = versioned(path, 'max-age=600, stale-while-revalidate=60', { 'surrogate-key': key })
    expect((await get(a, path)).body).toBe('body v1')
    expect((await get(b, path)).headers['x-cache']).toBe('HIT')
    state.version = 2

    const purged = await a.app.inject({ method: 'POST', url: '/v1/proxy/purge', headers: JSON_HEADERS, payload: json({ upstream: 'up', surrogateKeys: [key], soft: true }) })
    expect(purged.statusCode).toBe(200)
    expect(purged.json()).toEqual({ purged: { urls: 0, surrogateKeys: 1 }, soft: true })
    const record = (await a.app.inject({ method: 'GET', url: '/v1/invalidations?limit=1' })).json<{ invalidations: { targets: unknown }[] }>().invalidations[0]
    expect(record?.targets).toEqual({ surrogateKeys: [key], soft: true })

    const stale = await get(b, path)
    expect(stale.body).toBe('body v1')
    expect(stale.headers['cache-status']).toMatch(/detail="soft-purged, stale-while-revalidate"$/)
    await eventually(async () => expect((await get(b, path)).body).toBe('body v2'), 5_000)
    expect(originRequests(path).map((r) => r.headers['if-none-match'])).toEqual([undefined, '"v1"'])
    expect((await get(a, path)).body).toBe('body v2')
  })

  it('without a stale window the next request revalidates first: a 304 keeps the body, fwd=stale', async () => {
    const path = `${base}/strict`
    versioned(path, 'max-age=600')
    await get(a, path)
    await a.app.inject({ method: 'POST', url: '/v1/proxy/purge', headers: JSON_HEADERS, payload: json({ url: `/proxy/up${path}`, soft: true }) })

    const revalidated = await get(a, path)
    expect(revalidated.body).toBe('body v1')
    expect(revalidated.headers['x-cache']).toBe('REVALIDATED')
    expect(revalidated.headers['cache-status']).toMatch(/^Strata; fwd=stale; fwd-status=304; stored; ttl=(599|600)$/)
    expect(originRequests(path).map((r) => r.headers['if-none-match'])).toEqual([undefined, '"v1"'])
    expect((await get(a, path)).headers['x-cache']).toBe('HIT')
  })

  it('a Vary response soft-purged by URL: its variant is served stale, and the URL keeps its variants afterwards', async () => {
    const path = `${base}/varied`
    const state = versioned(path, 'max-age=600, stale-while-revalidate=60', { vary: 'accept-language' })
    const fr = () => a.app.inject({ method: 'GET', url: `/proxy/up${path}`, headers: { 'accept-language': 'fr' } })
    await fr()
    state.version = 2
    await a.app.inject({ method: 'PURGE' as 'GET', url: `/proxy/up${path}`, headers: SOFT })
    const stale = await fr()
    expect(stale.body).toBe('body v1')
    expect(stale.headers['x-cache']).toBe('STALE')
    // The URL's list of Vary headers was soft-purged too; that first read wrote it back.
    expect((await a.cache.namespace('proxy.up').inspect(path))?.state).toBe('fresh')
    await eventually(async () => expect((await fr()).body).toBe('body v2'), 5_000)
    expect((await fr()).headers['x-cache']).toBe('HIT')
  })

  it('a hard purge still removes: the next request is a miss with the new body', async () => {
    const path = `${base}/hard`
    const state = versioned(path, 'max-age=600, stale-while-revalidate=60')
    await get(a, path)
    state.version = 2
    const purged = await a.app.inject({ method: 'PURGE' as 'GET', url: `/proxy/up${path}`, headers: { 'fastly-soft-purge': '0' } })
    expect(purged.json()).toEqual({ purged: { urls: 1 } })
    const next = await get(b, path)
    expect(next.body).toBe('body v2')
    expect(next.headers['cache-status']).toMatch(/^Strata; fwd=uri-miss; fwd-status=200; stored; ttl=(599|600)$/)
  })
})

describe('proxy soft purge: the stale window counts from the purge', () => {
  const clock = new TestClock()
  let origin: ScriptedOrigin
  let gw: TestGateway

  beforeAll(async () => {
    await requireRedis()
    origin = await new ScriptedOrigin().start()
    gw = await startGateway({ clock: clock.now, upstreams: { up: { url: origin.url } } })
  })
  afterAll(async () => {
    await gw.stop()
    await origin.stop()
  })

  it('a fresh response soft-purged and failing to revalidate is served stale only within stale-while-revalidate', async () => {
    const path = `/window-${Date.now()}`
    let failing = false
    origin.on(path, () => (failing ? { status: 500, body: 'down' } : { headers: { 'cache-control': 'max-age=3600, stale-while-revalidate=60', date: new Date(clock.time).toUTCString() }, body: 'kept' }))
    await gw.app.inject({ method: 'GET', url: `/proxy/up${path}` })
    clock.advance(600_000)
    failing = true
    await gw.app.inject({ method: 'PURGE' as 'GET', url: `/proxy/up${path}`, headers: SOFT })
    const within = await gw.app.inject({ method: 'GET', url: `/proxy/up${path}` })
    expect(within.body).toBe('kept')
    expect(within.headers['cache-status']).toBe('Strata; hit; ttl=0; detail="soft-purged, stale-while-revalidate"')
    clock.advance(30_000)
    expect((await gw.app.inject({ method: 'GET', url: `/proxy/up${path}` })).headers['cache-status']).toBe('Strata; hit; ttl=-30; detail="soft-purged, stale-while-revalidate"')
    // Past the window (though the response said an hour, it was purged 61 s ago): the origin's 500 goes through.
    clock.advance(31_000)
    const after = await gw.app.inject({ method: 'GET', url: `/proxy/up${path}` })
    expect(after.statusCode).toBe(500)
    expect(after.headers['cache-status']).toBe('Strata; fwd=stale; fwd-status=500; detail="not stored: no-freshness"')
  })
})

describe('proxy soft purge: authorization', () => {
  const auth = new TestAuth()
  let origin: ScriptedOrigin
  let gw: TestGateway

  beforeAll(async () => {
    await requireRedis()
    origin = await new ScriptedOrigin().start()
    origin.on('/doc', () => ({ headers: { 'cache-control': 'max-age=600' }, body: 'doc' }))
    gw = await startGateway({ auth: auth.auth, upstreams: { up: { url: origin.url } } })
  })
  afterAll(async () => {
    await gw.stop()
    await origin.stop()
  })

  it('a soft PURGE needs invalidate on proxy.<upstream>, like a hard one; a soft POST purge needs invalidate', async () => {
    const purge = (headers: Record<string, string>) => gw.app.inject({ method: 'PURGE' as 'GET', url: '/proxy/up/doc', headers: { ...SOFT, ...headers } })
    expect((await purge({})).statusCode).toBe(401)
    const readWrite = await auth.key({ namespace: 'proxy.up', scopes: ['read', 'write'] })
    expect((await purge({ 'x-api-key': readWrite })).statusCode).toBe(403)
    const invalidate = await auth.key({ namespace: 'proxy.up', scopes: ['invalidate'] })
    const allowed = await purge({ 'x-api-key': invalidate })
    expect(allowed.statusCode).toBe(200)
    expect(allowed.json()).toEqual({ purged: { urls: 1 }, soft: true })

    const body = json({ url: '/proxy/up/doc', soft: true })
    expect((await gw.app.inject({ method: 'POST', url: '/v1/proxy/purge', headers: { ...JSON_HEADERS, 'x-api-key': readWrite }, payload: body })).statusCode).toBe(403)
    const everywhere = await auth.key({ namespace: '*', scopes: ['invalidate'] })
    const posted = await gw.app.inject({ method: 'POST', url: '/v1/proxy/purge', headers: { ...JSON_HEADERS, 'x-api-key': everywhere }, payload: body })
    expect(posted.json()).toEqual({ purged: { urls: 1, surrogateKeys: 0 }, soft: true })
  }, 60_000)
})
