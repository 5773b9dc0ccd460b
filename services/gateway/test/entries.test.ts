import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireMemcached, requireRedis, requireRedisCluster, requireSentinel } from '@strata/testkit'
import { startGateway, type TestGateway } from './support/harness.js'

interface Entry {
  key: string
  tier: 'l1' | 'l2'
  ttlLeftMs: number
  graceLeftMs: number
  stale: boolean
  size: number
  tags: string[]
  version: number
}
interface Page {
  entries: Entry[]
  cursor: string | null
}

const NAMESPACES = { products: { ttl: 60_000, grace: 300_000 } }

/** The key browser's endpoints on every L2 that can list keys: memory, Redis, Redis Cluster (every primary), Sentinel. */
describe.each(['memory', 'redis', 'redis-cluster', 'redis-sentinel'] as const)('GET /v1/namespaces/{ns}/entries (%s L2)', (l2) => {
  let gw: TestGateway
  beforeAll(async () => {
    if (l2 === 'redis') await requireRedis()
    if (l2 === 'redis-cluster') await requireRedisCluster()
    if (l2 === 'redis-sentinel') await requireSentinel()
    gw = await startGateway({ l2, namespaces: NAMESPACES })
    const items = [
      ...Array.from({ length: 25 }, (_, i) => ({ key: `p:${i}`, value: { i }, tags: ['catalog', i % 2 === 1 ? 'odd' : 'even'] })),
      ...Array.from({ length: 5 }, (_, i) => ({ key: `other:${i}`, value: i })),
    ]
    const written = await gw.app.inject({ method: 'POST', url: '/v1/namespaces/products/keys:batchSet', payload: { items } })
    expect(written.statusCode).toBe(200)
  })
  afterAll(async () => gw.stop())

  const browse = async (query: string): Promise<Page> => {
    const answer = await gw.app.inject({ method: 'GET', url: `/v1/namespaces/products/entries?${query}` })
    expect(answer.statusCode, answer.body).toBe(200)
    return answer.json<Page>()
  }
  /** Every page until the cursor is null; each page at most `limit`. */
  const browseAll = async (query: string, limit: number, via: (q: string) => Promise<Page> = browse): Promise<Entry[]> => {
    const all: Entry[] = []
    let cursor: string | null = null
    for (let pages = 0; pages < 1000; pages++) {
      const page: Page = await via(`${query}&limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`)
      expect(page.entries.length).toBeLessThanOrEqual(limit)
      all.push(...page.entries)
      cursor = page.cursor
      if (cursor === null) return all
    }
    throw new Error('the listing never ended')
  }

  it('lists every key under a prefix once, page by page, with its metadata', async () => {
    const entries = await browseAll('prefix=p%3A', 7)
    expect(entries.map((e) => e.key).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `p:${i}`).sort())
    const three = entries.find((e) => e.key === 'p:3')!
    expect(three).toMatchObject({ tier: 'l1', stale: false, tags: ['catalog', 'odd'] })
    expect(three.ttlLeftMs).toBeGreaterThan(0)
    expect(three.ttlLeftMs).toBeLessThanOrEqual(60_000)
    expect(three.graceLeftMs).toBe(300_000)
    expect(three.size).toBeGreaterThan(0)
    expect(three.version).toBeGreaterThan(0)
    expect((await browseAll('', 500)).length).toBe(30)
  })

  it('filters by tag (by scanning), alone or with a prefix', async () => {
    const odd = await browseAll('tag=odd', 4)
    expect(odd.map((e) => e.key).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `p:${2 * i + 1}`).sort())
    expect(odd.every((e) => e.tags.includes('odd'))).toBe(true)
    expect((await browseAll('tag=catalog&prefix=other', 10)).length).toBe(0)
    expect((await browseAll('tag=nothing', 50)).length).toBe(0)
  })

  it('inspects one entry without counting a hit, and answers 404 E_KEY_NOT_FOUND for a missing key', async () => {
    const before = gw.cache.namespace('products').stats()
    const one = await gw.app.inject({ method: 'GET', url: '/v1/namespaces/products/entries/p%3A4' })
    expect(one.statusCode).toBe(200)
    expect(one.json()).toMatchObject({ key: 'p:4', tier: 'l1', tags: ['catalog', 'even'], stale: false })
    await browse('prefix=p%3A&limit=10')
    const after = gw.cache.namespace('products').stats()
    expect(after.hits).toBe(before.hits)
    expect(after.misses).toBe(before.misses)
    const missing = await gw.app.inject({ method: 'GET', url: '/v1/namespaces/products/entries/nope' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toMatchObject({ code: 'E_KEY_NOT_FOUND' })
  })

  it('shows tier l2 to an instance whose L1 does not hold the entry', async () => {
    if (l2 === 'memory') return // an in-process store is not shared between gateways
    const other = await startGateway({ l2, prefix: gw.prefix, namespaces: NAMESPACES })
    try {
      const answer = await other.app.inject({ method: 'GET', url: '/v1/namespaces/products/entries/p%3A5' })
      expect(answer.json()).toMatchObject({ key: 'p:5', tier: 'l2', tags: ['catalog', 'odd'] })
      const listed = await browseAll('prefix=other', 2, async (q) => (await other.app.inject({ method: 'GET', url: `/v1/namespaces/products/entries?${q}` })).json<Page>())
      expect(listed.map((e) => e.tier)).toEqual(['l2', 'l2', 'l2', 'l2', 'l2'])
    } finally {
      await other.app.close()
      other.registry.close()
      await other.cache.close()
    }
  })

  it('refuses a made-up cursor (400 E_INVALID_CURSOR), a limit over 500 (400) and an unknown namespace (404)', async () => {
    const cursor = await gw.app.inject({ method: 'GET', url: '/v1/namespaces/products/entries?cursor=garbage' })
    expect(cursor.statusCode).toBe(400)
    expect(cursor.json()).toMatchObject({ code: 'E_INVALID_CURSOR' })
    expect((await gw.app.inject({ method: 'GET', url: '/v1/namespaces/products/entries?limit=501' })).statusCode).toBe(400)
    const unknown = await gw.app.inject({ method: 'GET', url: '/v1/namespaces/nope/entries' })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toMatchObject({ code: 'E_NAMESPACE_NOT_FOUND' })
  })

  it('leaves out entries invalidated by tag (still in L2 until they expire)', async () => {
    const invalidated = await gw.app.inject({ method: 'POST', url: '/v1/namespaces/products/invalidations', payload: { tags: ['even'] } })
    expect(invalidated.statusCode).toBe(200)
    const left = await browseAll('prefix=p%3A', 50)
    expect(left.map((e) => e.key).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `p:${2 * i + 1}`).sort())
  })
})

describe('GET /v1/namespaces/{ns}/entries on Memcached', () => {
  let gw: TestGateway
  beforeAll(async () => {
    await requireMemcached()
    gw = await startGateway({ l2: 'memcached', namespaces: NAMESPACES })
    await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/products/keys/k', payload: { value: 1 } })
  })
  afterAll(async () => gw.stop())

  it('answers 501 E_UNSUPPORTED_BY_STORE for listing (Memcached cannot list keys), and still inspects one key', async () => {
    const listing = await gw.app.inject({ method: 'GET', url: '/v1/namespaces/products/entries' })
    expect(listing.statusCode).toBe(501)
    expect(listing.headers['content-type']).toContain('application/problem+json')
    expect(listing.json()).toMatchObject({ code: 'E_UNSUPPORTED_BY_STORE', status: 501 })
    const one = await gw.app.inject({ method: 'GET', url: '/v1/namespaces/products/entries/k' })
    expect(one.statusCode).toBe(200)
    expect(one.json()).toMatchObject({ key: 'k', tier: 'l1' })
  })
})
