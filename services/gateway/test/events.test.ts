import { parseRules } from '@strata/invalidation'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ScriptedOrigin, startGateway, type TestGateway } from './support/harness.js'

// POST /v1/events speaks the invalidator's dialect ({data.id}) with its strictness, and says when nothing matched.
describe('POST /v1/events (the one rule language)', () => {
  let gw: TestGateway
  let origin: ScriptedOrigin
  beforeAll(async () => {
    origin = await new ScriptedOrigin().start()
    origin.on('/products/1', () => ({ headers: { 'cache-control': 'max-age=60', 'surrogate-key': 'product-1' }, body: 'lamp' }))
    gw = await startGateway({
      l2: 'memory',
      upstreams: { shop: { url: origin.url } },
      namespaces: { products: { ttl: 60_000 } },
      eventRules: parseRules(`version: 1
rules:
  - name: product
    topic: shop.catalog.v1
    type: [product.updated, product.deleted]
    namespace: products
    keys: ['product:{data.id}']
    expireTags: ['category:{data.category}']
  - name: product-page
    topic: shop.catalog.v1
    type: product.updated
    upstream: shop
    surrogateKeys: ['product-{data.id}']
`),
    })
  })
  afterAll(async () => {
    await gw.stop()
    await origin.stop()
  })

  const post = (payload: object) => gw.app.inject({ method: 'POST', url: '/v1/events', payload })
  const put = (key: string) => gw.app.inject({ method: 'PUT', url: `/v1/namespaces/products/keys/${key}`, payload: { value: key, tags: ['category:lamps'] } })
  const status = async (key: string) => (await gw.app.inject({ method: 'GET', url: `/v1/namespaces/products/keys/${key}` })).statusCode

  it('applies every matching rule, namespace and upstream, and answers their records', async () => {
    expect((await put('product:1')).statusCode).toBe(200)
    expect((await gw.app.inject({ url: '/proxy/shop/products/1' })).headers['x-cache']).toBe('MISS')
    expect((await gw.app.inject({ url: '/proxy/shop/products/1' })).headers['x-cache']).toBe('HIT')
    const answer = await post({ type: 'product.updated', data: { id: 1, category: 'lamps' } })
    expect(answer.statusCode, answer.body).toBe(202)
    expect(answer.json()).toMatchObject({
      type: 'product.updated',
      matched: 2,
      applied: 2,
      invalidations: [
        { trigger: 'event', rule: 'product', namespace: 'products', targets: { keys: ['product:1'], expireTags: ['category:lamps'] }, entriesRemoved: null },
        { trigger: 'event', rule: 'product-page', namespace: null, upstream: 'shop', targets: { surrogateKeys: ['product-1'] } },
      ],
    })
    expect(answer.json().warning).toBeUndefined()
    expect(await status('product:1')).toBe(404)
    expect((await gw.app.inject({ url: '/proxy/shop/products/1' })).headers['x-cache']).toBe('MISS')
  })

  it('answers a misspelled event type 202 with matched: 0 and a warning naming the types the rules know', async () => {
    const answer = await post({ type: 'product.updatd', data: { id: 1 } })
    expect(answer.statusCode).toBe(202)
    expect(answer.json()).toEqual({
      type: 'product.updatd',
      matched: 0,
      applied: 0,
      invalidations: [],
      warning: "no rule matches event type 'product.updatd' (rules know: product.updated, product.deleted); nothing was invalidated",
    })
    // A topic no rule listens to matches nothing either.
    expect((await post({ topic: 'shop.orders.v1', type: 'product.updated', data: { id: 1, category: 'x' } })).json()).toMatchObject({ matched: 0 })
  })

  it('refuses an event lacking a field a matching rule needs (400 E_EVENT_INVALID), and applies none of its rules', async () => {
    expect((await put('product:2')).statusCode).toBe(200)
    const answer = await post({ type: 'product.deleted', data: { id: 2 } })
    expect(answer.statusCode).toBe(400)
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(answer.json()).toMatchObject({ code: 'E_EVENT_INVALID' })
    expect(answer.json().detail).toMatch(/\(product\.deleted\): template 'category:\{data\.category\}' needs data\.category, which the event lacks$/)
    expect(await status('product:2')).toBe(200)
  })
})
