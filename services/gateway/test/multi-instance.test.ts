import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalInvalidationBus } from '@strata/core'
import { requireRedis, uniqueName } from '@strata/testkit'
import { ScriptedOrigin, json, startGateway, type TestGateway } from './support/harness.js'

const JSON_HEADERS = { 'content-type': 'application/json' }

/**
 * Two gateway instances over one Redis and one bus (LocalInvalidationBus here; the Kafka bus replaces it when
 * packages/bus lands — only `bus` below changes).
 */
describe('two gateway instances sharing Redis and a bus', () => {
  let a: TestGateway
  let b: TestGateway
  let origin: ScriptedOrigin

  beforeAll(async () => {
    await requireRedis()
    origin = await new ScriptedOrigin().start()
    origin.on('/p/1', () => ({ headers: { 'cache-control': 'public, max-age=300', 'surrogate-key': 'product-1', 'content-type': 'application/json' }, body: json({ id: 1 }) }))
    const bus = new LocalInvalidationBus()
    const prefix = uniqueName('gw2')
    const upstreams = { shop: { url: origin.url } }
    a = await startGateway({ prefix, bus, upstreams })
    b = await startGateway({ prefix, bus, upstreams })
  })
  afterAll(async () => {
    await a.stop()
    await b.stop()
    await origin.stop()
  })

  it('a namespace created through one instance is served by the other', async () => {
    const created = await a.app.inject({ method: 'PUT', url: '/v1/admin/namespaces/shared', headers: JSON_HEADERS, payload: json({ ttl: 300_000 }) })
    expect(created.statusCode).toBe(201)
    const put = await b.app.inject({ method: 'PUT', url: '/v1/namespaces/shared/keys/k', headers: JSON_HEADERS, payload: json({ value: 'v1' }) })
    expect(put.statusCode).toBe(200)
    expect((await a.app.inject('/v1/namespaces/shared/keys/k')).json()).toBe('v1')
  })

  it('an invalidation through A empties the L1 of B', async () => {
    await a.app.inject({ method: 'PUT', url: '/v1/namespaces/shared/keys/x', headers: JSON_HEADERS, payload: json({ value: 1, tags: ['grp'] }) })
    await a.app.inject({ method: 'PUT', url: '/v1/namespaces/shared/keys/y', headers: JSON_HEADERS, payload: json({ value: 2 }) })
    // B reads both: now they are in B's L1.
    expect((await b.app.inject('/v1/namespaces/shared/keys/x')).statusCode).toBe(200)
    expect((await b.app.inject('/v1/namespaces/shared/keys/y')).statusCode).toBe(200)
    expect((await b.cache.namespace('shared').inspect('x'))?.tier).toBe('l1')

    await a.app.inject({ method: 'POST', url: '/v1/namespaces/shared/invalidations', headers: JSON_HEADERS, payload: json({ keys: ['y'], tags: ['grp'] }) })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect((await b.app.inject('/v1/namespaces/shared/keys/x')).statusCode).toBe(404)
    expect((await b.app.inject('/v1/namespaces/shared/keys/y')).statusCode).toBe(404)
  })

  it('a write through A replaces the value in the L1 of B', async () => {
    await a.app.inject({ method: 'PUT', url: '/v1/namespaces/shared/keys/w', headers: JSON_HEADERS, payload: json({ value: 'old' }) })
    expect((await b.app.inject('/v1/namespaces/shared/keys/w')).json()).toBe('old')
    await a.app.inject({ method: 'PUT', url: '/v1/namespaces/shared/keys/w', headers: JSON_HEADERS, payload: json({ value: 'new' }) })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect((await b.app.inject('/v1/namespaces/shared/keys/w')).json()).toBe('new')
  })

  it('a proxy purge by surrogate key through A reaches the stored response in B', async () => {
    expect((await b.app.inject('/proxy/shop/p/1')).headers['x-cache']).toBe('MISS')
    expect((await b.app.inject('/proxy/shop/p/1')).headers['x-cache']).toBe('HIT')
    // A shares the L2: its first read is a hit too.
    expect((await a.app.inject('/proxy/shop/p/1')).headers['x-cache']).toBe('HIT')
    expect(origin.hitsOf('/p/1')).toBe(1)
    const purge = await a.app.inject({ method: 'POST', url: '/v1/proxy/purge', headers: JSON_HEADERS, payload: json({ upstream: 'shop', surrogateKeys: ['product-1'] }) })
    expect(purge.statusCode).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect((await b.app.inject('/proxy/shop/p/1')).headers['x-cache']).toBe('MISS')
    expect(origin.hitsOf('/p/1')).toBe(2)
  })
})
