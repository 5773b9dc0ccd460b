import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireRedis } from '@strata/testkit'
import { ScriptedOrigin, startGateway, type TestGateway } from './support/harness.js'

interface Stats {
  at: number
  uptimeMs: number
  totals: Record<string, number> & { latencyMs: { p50: number; p95: number; p99: number } }
  namespaces: (Record<string, number> & { name: string; latencyMs: { p50: number; p95: number; p99: number } })[]
  proxy: (Record<string, number> & { upstream: string })[]
}

/** GET /v1/stats: the engine's counters and the gateway's own KV latency, per namespace and in total. */
describe.each(['memory', 'redis'] as const)('GET /v1/stats (%s L2)', (l2) => {
  let gw: TestGateway
  beforeAll(async () => {
    if (l2 === 'redis') await requireRedis()
    gw = await startGateway({ l2, namespaces: { products: { ttl: 60_000 }, sessions: { ttl: 60_000 } } })
  })
  afterAll(async () => gw.stop())

  const stats = async () => {
    const answer = await gw.app.inject({ method: 'GET', url: '/v1/stats' })
    expect(answer.statusCode).toBe(200)
    return answer.json<Stats>()
  }

  it('starts at zero: counters, hit ratio and latency', async () => {
    const before = await stats()
    expect(before.namespaces.map((n) => n.name)).toEqual(['products', 'sessions'])
    expect(before.totals).toMatchObject({ requests: 0, hits: 0, misses: 0, errors: 0, hitRatio: 0, latencyMs: { p50: 0, p95: 0, p99: 0 } })
    expect(before.uptimeMs).toBeGreaterThanOrEqual(0)
  })

  it('counts writes, L1 hits, misses and L1 entries per namespace, and latency over the KV requests', async () => {
    for (let i = 0; i < 3; i++) {
      const put = await gw.app.inject({ method: 'PUT', url: `/v1/namespaces/products/keys/p${i}`, payload: { value: { i } } })
      expect(put.statusCode).toBe(200)
    }
    for (let i = 0; i < 4; i++) expect((await gw.app.inject({ method: 'GET', url: '/v1/namespaces/products/keys/p0' })).statusCode).toBe(200)
    expect((await gw.app.inject({ method: 'GET', url: '/v1/namespaces/products/keys/absent' })).statusCode).toBe(404)
    // A namespace that does not exist is neither counted nor listed.
    expect((await gw.app.inject({ method: 'GET', url: '/v1/namespaces/nope/keys/x' })).statusCode).toBe(404)

    const after = await stats()
    const products = after.namespaces.find((n) => n.name === 'products')!
    expect(products).toMatchObject({ requests: 8, sets: 3, l1Hits: 4, l2Hits: 0, hits: 4, misses: 1, staleHits: 0, errors: 0, l1Entries: 3 })
    expect(products.hitRatio).toBeCloseTo(4 / 5)
    expect(products.latencyMs.p50).toBeGreaterThan(0)
    expect(products.latencyMs.p99).toBeGreaterThanOrEqual(products.latencyMs.p50)
    const sessions = after.namespaces.find((n) => n.name === 'sessions')!
    expect(sessions).toMatchObject({ requests: 0, hits: 0, l1Entries: 0, latencyMs: { p50: 0, p95: 0, p99: 0 } })
    expect(after.totals).toMatchObject({ requests: 8, hits: 4, l1Hits: 4, misses: 1, errors: 0 })
    expect(after.totals.hitRatio).toBeCloseTo(4 / 5)
    expect(after.totals.latencyMs.p99).toBe(products.latencyMs.p99)
    expect(after.namespaces.map((n) => n.name)).not.toContain('nope')
  })

  it('counts an L2 hit when another instance sharing the L2 wrote the key', async () => {
    if (l2 === 'memory') return // one process's memory store is not shared between gateways
    const other = await startGateway({ l2, prefix: gw.prefix, namespaces: { products: { ttl: 60_000 } } })
    try {
      expect((await other.app.inject({ method: 'GET', url: '/v1/namespaces/products/keys/p1' })).statusCode).toBe(200)
      const answer = (await other.app.inject({ method: 'GET', url: '/v1/stats' })).json<Stats>()
      expect(answer.namespaces.find((n) => n.name === 'products')).toMatchObject({ l2Hits: 1, l1Hits: 0, hits: 1, requests: 1, l1Entries: 1 })
    } finally {
      await other.app.close()
      other.registry.close()
      await other.cache.close()
    }
  })
})

/** GET /v1/stats's proxy section: every configured upstream, its answers by X-Cache outcome (the console's proxy panel). */
describe('GET /v1/stats: the proxy per upstream', () => {
  let origin: ScriptedOrigin
  let gw: TestGateway
  beforeAll(async () => {
    origin = await new ScriptedOrigin().start()
    origin.on('/page', () => ({ headers: { 'cache-control': 'max-age=60' }, body: 'page' }))
    gw = await startGateway({ l2: 'memory', upstreams: { shop: { url: origin.url }, idle: { url: origin.url } } })
  })
  afterAll(async () => {
    await gw.stop()
    await origin.stop()
  })

  it('counts misses, hits and bypasses per upstream, lists an idle upstream with zeros, and ignores unknown names', async () => {
    const zero = { requests: 0, hits: 0, misses: 0, stale: 0, revalidated: 0, bypass: 0, errors: 0, hitRatio: 0 }
    const first = (await gw.app.inject({ method: 'GET', url: '/v1/stats' })).json<Stats>()
    expect(first.proxy).toEqual([{ upstream: 'idle', ...zero }, { upstream: 'shop', ...zero }])
    const outcomes = []
    for (const method of ['GET', 'GET', 'GET', 'POST'] as const) outcomes.push((await gw.app.inject({ method, url: '/proxy/shop/page' })).headers['x-cache'])
    expect(outcomes).toEqual(['MISS', 'HIT', 'HIT', 'BYPASS'])
    expect((await gw.app.inject({ method: 'GET', url: '/proxy/nowhere/page' })).statusCode).toBe(404)
    const after = (await gw.app.inject({ method: 'GET', url: '/v1/stats' })).json<Stats>()
    expect(after.proxy.map((row) => row.upstream)).toEqual(['idle', 'shop'])
    expect(after.proxy[1]).toEqual({ upstream: 'shop', ...zero, requests: 4, hits: 2, misses: 1, bypass: 1, hitRatio: 2 / 3 })
  })
})
