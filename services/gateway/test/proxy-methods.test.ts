import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { requireRedis } from '@strata/testkit'
import { ScriptedOrigin, startGateway, type TestGateway } from './support/harness.js'

/**
 * Methods the router did not know reach the origin (RFC 9110 §9.1: a proxy forwards methods it does not recognise),
 * and a non-error answer to an unsafe or unknown method invalidates the target and the same-origin Location and
 * Content-Location it names (RFC 9111 §4.4). PURGE (the Varnish convention) removes a target's stored responses.
 */
describe('proxy methods', () => {
  let origin: ScriptedOrigin
  let gw: TestGateway
  let n = 0
  let base = ''

  beforeAll(async () => {
    await requireRedis()
    origin = await new ScriptedOrigin().start()
    gw = await startGateway({ upstreams: { up: { url: origin.url } } })
  })
  afterAll(async () => {
    await gw.stop()
    await origin.stop()
  })
  beforeEach(() => {
    base = `/m${++n}-${Date.now()}`
  })
  const get = (path: string) => gw.app.inject({ method: 'GET', url: `/proxy/up${path}` })
  const cacheable = (path: string) => origin.on(path, () => ({ headers: { 'cache-control': 'max-age=600' }, body: `v${origin.hitsOf(path)}` }), 'GET')

  it.each(['PROPFIND', 'M-SEARCH', 'MKCOL', 'REPORT'])('%s reaches the origin instead of the gateway\'s 404', async (method) => {
    origin.on(`${base}/dav`, (r) => ({ status: 207, body: `${r.method} seen` }), method)
    const answer = await gw.app.inject({ method: method as 'GET', url: `/proxy/up${base}/dav` })
    expect(answer.statusCode).toBe(207)
    expect(answer.body).toBe(`${method} seen`)
    expect(answer.headers['cache-status']).toBe('Strata; fwd=method; fwd-status=207')
  })

  it('an unknown (so unsafe) method invalidates the target; a safe one (PROPFIND) does not', async () => {
    cacheable(`${base}/doc`)
    origin.on(`${base}/doc`, () => ({ status: 200, body: 'listed' }), 'PROPFIND')
    origin.on(`${base}/doc`, () => ({ status: 200, body: 'locked' }), 'LOCK')
    await get(`${base}/doc`)
    await gw.app.inject({ method: 'PROPFIND' as 'GET', url: `/proxy/up${base}/doc` })
    expect((await get(`${base}/doc`)).headers['x-cache']).toBe('HIT')
    await gw.app.inject({ method: 'LOCK' as 'GET', url: `/proxy/up${base}/doc` })
    expect((await get(`${base}/doc`)).headers['x-cache']).toBe('MISS')
  })

  it('a POST invalidates the same-origin Location and Content-Location it answers with, never another host\'s', async () => {
    for (const p of ['/items', '/items/7', '/items/7/view', '/elsewhere']) cacheable(`${base}${p}`)
    origin.on(
      `${base}/items`,
      () => ({ status: 201, headers: { location: `${base}/items/7`, 'content-location': 'http://other.example' + `${base}/elsewhere` }, body: 'created' }),
      'POST',
    )
    for (const p of ['/items', '/items/7', '/elsewhere']) await get(`${base}${p}`)
    const created = await gw.app.inject({ method: 'POST', url: `/proxy/up${base}/items`, headers: { 'content-type': 'text/plain' }, payload: 'x' })
    expect(created.statusCode).toBe(201)
    expect((await get(`${base}/items`)).headers['x-cache']).toBe('MISS')
    expect((await get(`${base}/items/7`)).headers['x-cache']).toBe('MISS')
    expect((await get(`${base}/elsewhere`)).headers['x-cache']).toBe('HIT')
  })

  it('PURGE removes the stored responses of a target and needs no origin', async () => {
    cacheable(`${base}/p`)
    await get(`${base}/p`)
    expect((await get(`${base}/p`)).headers['x-cache']).toBe('HIT')
    const purged = await gw.app.inject({ method: 'PURGE' as 'GET', url: `/proxy/up${base}/p` })
    expect(purged.statusCode).toBe(200)
    expect(purged.json()).toEqual({ purged: { urls: 1 } })
    expect((await get(`${base}/p`)).headers['x-cache']).toBe('MISS')
    expect(origin.hitsOf(`${base}/p`)).toBe(2)
  })
})
