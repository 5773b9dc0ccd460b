import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireRedis } from '@strata/testkit'
import { ScriptedOrigin, TestClock, startGateway, type TestGateway } from './support/harness.js'

/** Negative caching: 404 and 410 are heuristically cacheable (RFC 9110 §15.1); the upstream's negativeTtlMs is the heuristic. */
describe('proxy: negative caching of 404 and 410', () => {
  let origin: ScriptedOrigin
  let gw: TestGateway
  const clock = new TestClock(Math.floor(Date.now() / 1000) * 1000)

  beforeAll(async () => {
    await requireRedis()
    origin = await new ScriptedOrigin().start()
    gw = await startGateway({ clock: clock.now, upstreams: { up: { url: origin.url, negativeTtlMs: 30_000 }, plain: { url: origin.url } } })
  })
  afterAll(async () => {
    await gw.stop()
    await origin.stop()
  })

  it.each([404, 410])('a %d without caching headers is stored for negativeTtlMs, then asked again', async (status) => {
    const path = `/neg-${status}-${Date.now()}`
    origin.on(path, () => ({ status, headers: { date: new Date(clock.time).toUTCString() }, body: 'gone' }))
    expect((await gw.app.inject({ method: 'GET', url: `/proxy/up${path}` })).headers['cache-status']).toBe(`Strata; fwd=uri-miss; fwd-status=${status}; stored; ttl=30`)
    clock.advance(10_000)
    const hit = await gw.app.inject({ method: 'GET', url: `/proxy/up${path}` })
    expect(hit.statusCode).toBe(status)
    expect(hit.headers['cache-status']).toBe('Strata; hit; ttl=20')
    clock.advance(21_000)
    expect((await gw.app.inject({ method: 'GET', url: `/proxy/up${path}` })).headers['x-cache']).toBe('MISS')
    expect(origin.hitsOf(path)).toBe(2)
  })

  it('without negativeTtlMs a bare 404 is not reused, and a 404 with a cookie-bearing request never is', async () => {
    const path = `/neg-plain-${Date.now()}`
    origin.on(path, () => ({ status: 404, headers: { date: new Date(clock.time).toUTCString() }, body: 'no' }))
    await gw.app.inject({ method: 'GET', url: `/proxy/plain${path}` })
    expect((await gw.app.inject({ method: 'GET', url: `/proxy/plain${path}` })).headers['x-cache']).toBe('MISS')
    const cookie = `/neg-cookie-${Date.now()}`
    origin.on(cookie, () => ({ status: 404, headers: { date: new Date(clock.time).toUTCString() }, body: 'no' }))
    await gw.app.inject({ method: 'GET', url: `/proxy/up${cookie}`, headers: { cookie: 's=1' } })
    expect((await gw.app.inject({ method: 'GET', url: `/proxy/up${cookie}` })).headers['x-cache']).toBe('MISS')
  })
})
