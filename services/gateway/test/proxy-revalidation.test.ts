import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { requireRedis } from '@strata/testkit'
import { TestClock, startGateway, type TestGateway } from './support/harness.js'
import { RawOrigin, rawResponse, type RawRequest } from './support/raw-origin.js'

/**
 * Revalidation that survives what real origins send (issue 21): a 304 carrying Content-Length (RFC 9110 §15.4.5
 * allows it; the HTTP client rejected it and the URL answered 502 for the hour the stale copy was kept), a 304 to a
 * request that was not conditional, a 304 naming another representation, and a connection reset. Each case runs
 * end to end: a real origin on loopback writing exact bytes, the gateway over real Redis.
 */
describe('proxy revalidation against a misbehaving origin', () => {
  let origin: RawOrigin
  let gw: TestGateway
  let clock: TestClock
  let n = 0
  let path = ''

  beforeAll(async () => {
    await requireRedis()
    origin = await new RawOrigin().start()
  })
  afterAll(async () => origin.stop())
  beforeEach(async () => {
    clock = new TestClock()
    gw = await startGateway({ clock: clock.now, upstreams: { up: { url: origin.url, timeoutMs: 2_000 } } })
    path = `/r/${++n}-${Date.now()}`
  })
  afterEach(async () => gw.stop())

  const get = (headers: Record<string, string> = {}) => gw.app.inject({ method: 'GET', url: `/proxy/up${path}`, headers })
  const date = () => new Date(clock.time).toUTCString()
  const ok = (body: string, headers: Record<string, string>) => rawResponse('200 OK', { date: date(), 'content-length': String(body.length), ...headers }, body)

  it('a 304 with Content-Length revalidates the stored response (not a 502), and the next request is a hit', async () => {
    origin.on((request: RawRequest, i) =>
      i === 0
        ? ok('hello', { 'cache-control': 'max-age=1', etag: '"v1"' })
        : request.headers['if-none-match'] === '"v1"'
          ? rawResponse('304 Not Modified', { date: date(), etag: '"v1"', 'cache-control': 'max-age=60', 'content-length': '5' })
          : ok('wrong', {}),
    )
    expect((await get()).body).toBe('hello')
    clock.advance(2_000)
    const revalidated = await get()
    expect(revalidated.statusCode).toBe(200)
    expect(revalidated.body).toBe('hello')
    expect(revalidated.headers['x-cache']).toBe('REVALIDATED')
    expect(revalidated.headers['cache-status']).toMatch(/^Strata; fwd=stale; fwd-status=304; stored; ttl=(59|60)$/)
    clock.advance(10_000)
    const hit = await get()
    expect(hit.headers['cache-status']).toMatch(/^Strata; hit; ttl=(49|50)$/)
    expect(hit.body).toBe('hello')
    expect(origin.requests.filter((r) => r.path === path)).toHaveLength(2)
  })

  it('a 304 to a request that was not conditional is an origin error: 502 once (never a 304 the client did not ask for), then recovery', async () => {
    origin.on((_request, i) => (i === 0 ? rawResponse('304 Not Modified', { date: date(), 'content-length': '10' }) : ok('v2', { 'cache-control': 'max-age=60' })))
    const failed = await get()
    expect(failed.statusCode).toBe(502)
    expect(failed.json().code).toBe('E_ORIGIN_FAILED')
    expect(failed.headers['cache-status']).toBe('Strata; fwd=miss; detail="E_ORIGIN_FAILED"')
    const recovered = await get()
    expect(recovered.statusCode).toBe(200)
    expect(recovered.body).toBe('v2')
    expect(recovered.headers['cache-status']).toMatch(/^Strata; fwd=uri-miss; fwd-status=200; stored; ttl=(59|60)$/)
  })

  it('a 304 to an unconditional request serves stale within stale-if-error (RFC 5861 §4)', async () => {
    origin.on((_request, i) => (i === 0 ? ok('v1', { 'cache-control': 'max-age=1, stale-if-error=60' }) : rawResponse('304 Not Modified', { date: date(), 'content-length': '2' })))
    await get()
    clock.advance(5_000)
    const stale = await get()
    expect(stale.statusCode).toBe(200)
    expect(stale.body).toBe('v1')
    expect(stale.headers['x-cache']).toBe('STALE')
    expect(stale.headers['cache-status']).toBe('Strata; fwd=stale; ttl=-4; detail="stale-if-error"')
  })

  it('a 304 naming another representation (a different ETag) does not update the stored one', async () => {
    origin.on((request, i) =>
      i === 0 ? ok('v1', { 'cache-control': 'max-age=1', etag: '"v1"' }) : rawResponse('304 Not Modified', { date: date(), etag: '"v9"', 'cache-control': 'max-age=600' }),
    )
    await get()
    clock.advance(5_000)
    expect((await get()).statusCode).toBe(502)
    clock.advance(1_000)
    // Had the 304 been applied, the entry would be fresh for 600 s and this a hit.
    expect((await get()).statusCode).toBe(502)
    expect(origin.requests.filter((r) => r.path === path)).toHaveLength(3)
    // The stored response is still the first one, as the origin sent it.
    const stale = await get({ 'cache-control': 'max-stale' })
    expect(stale.body).toBe('v1')
    expect(stale.headers.etag).toBe('"v1"')
    expect(stale.headers['cache-status']).toBe('Strata; hit; ttl=-5; detail="max-stale"')
  })

  it('a connection reset: stale within the upstream stale-if-error, a 502 without the client library message after it', async () => {
    await gw.stop()
    gw = await startGateway({ clock: clock.now, upstreams: { up: { url: origin.url, timeoutMs: 2_000, staleIfErrorMs: 30_000 } } })
    origin.on((_request, i) => (i === 0 ? ok('v1', { 'cache-control': 'max-age=1', etag: '"a"' }) : { reset: true }))
    await get()
    clock.advance(10_000)
    const stale = await get()
    expect(stale.body).toBe('v1')
    expect(stale.headers['cache-status']).toBe('Strata; fwd=stale; ttl=-9; detail="stale-if-error"')
    clock.advance(30_000)
    const failed = await get()
    expect(failed.statusCode).toBe(502)
    expect(failed.json().detail).toBe("Upstream 'up' closed the connection before answering")
    expect(failed.body).not.toMatch(/UND_ERR|other side closed|socket/i)
  })
})
