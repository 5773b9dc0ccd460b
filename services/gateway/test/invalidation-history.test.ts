import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ScriptedOrigin, startGateway, type TestGateway } from './support/harness.js'
import { TestAuth } from './support/auth.js'
import { parseRules, type InvalidationRecord } from '@strata/invalidation'

type HistoryRecord = InvalidationRecord

/** GET /v1/invalidations: what this instance invalidated, from each source, newest first, with who did it. */
describe('invalidation history (auth on, memory L2)', () => {
  let gw: TestGateway
  let origin: ScriptedOrigin
  const auth = new TestAuth()
  let admin = ''
  let adminActor = ''

  beforeAll(async () => {
    origin = await new ScriptedOrigin().start()
    origin.on('/thing', () => ({ headers: { 'cache-control': 'max-age=60', 'surrogate-key': 'thing' }, body: 'ok' }))
    gw = await startGateway({
      l2: 'memory',
      auth: auth.auth,
      upstreams: { up: { url: origin.url } },
      namespaces: { shop: { ttl: 60_000 }, blog: { ttl: 60_000 } },
      eventRules: parseRules(`version: 1
rules:
  - { name: product, topic: shop.v1, type: product.updated, namespace: shop, keys: ['product:{data.id}'], tags: ['product-{data.id}'] }
  - { name: product-page, topic: shop.v1, type: product.updated, upstream: up, surrogateKeys: ['product-{data.id}'] }
`),
    })
    admin = await auth.admin()
    adminActor = `key:${admin.slice(3, 15)}`
  })
  afterAll(async () => {
    await gw.stop()
    await origin.stop()
  })

  const send = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, token = admin) =>
    gw.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload }) })
  const history = async (query = '', token = admin) => {
    const answer = await send('GET', `/v1/invalidations${query}`, undefined, token)
    expect(answer.statusCode, answer.body).toBe(200)
    return answer.json<{ invalidations: HistoryRecord[] }>().invalidations
  }

  it('starts empty', async () => {
    expect(await history()).toEqual([])
  })

  it('records manual invalidations (not dry runs), events, proxy purges and subject deletes, newest first', async () => {
    expect((await send('POST', '/v1/namespaces/shop/invalidations', { keys: ['a'], prefixes: ['cart:'], expireTags: ['t'] })).statusCode).toBe(200)
    expect((await send('POST', '/v1/namespaces/blog/invalidations', { all: true, dryRun: true })).statusCode).toBe(200)
    expect((await send('POST', '/v1/events', { type: 'product.updated', data: { id: '7' } })).statusCode).toBe(202)
    expect((await send('POST', '/v1/proxy/purge', { url: '/proxy/up/thing' })).statusCode).toBe(200)
    expect((await send('POST', '/v1/proxy/purge', { upstream: 'up', surrogateKeys: ['thing'] })).statusCode).toBe(200)
    expect((await send('DELETE', '/v1/admin/subjects/user-1')).statusCode).toBe(200)
    expect((await send('POST', '/v1/namespaces/blog/invalidations', { all: true })).statusCode).toBe(200)

    const records = await history()
    expect(JSON.stringify(records)).not.toContain('user-1')
    // One record shape, @strata/invalidation's: the same the invalidator publishes.
    const shape = records.map(({ namespace, trigger, targets, upstream, sourceEventType, rule }) => ({
      namespace,
      trigger,
      targets,
      ...(upstream === undefined ? {} : { upstream }),
      ...(sourceEventType === undefined ? {} : { sourceEventType }),
      ...(rule === undefined ? {} : { rule }),
    }))
    expect(shape).toEqual([
      { namespace: 'blog', trigger: 'manual', targets: { all: true } },
      // The history never names a data subject in clear: a keyed hash of it (issue 22).
      { namespace: null, trigger: 'subject', targets: { tags: [expect.stringMatching(/^subject:hmac:[0-9a-f]{16}$/)] } },
      { namespace: null, trigger: 'purge', upstream: 'up', targets: { surrogateKeys: ['thing'] } },
      { namespace: null, trigger: 'purge', upstream: 'up', targets: { urls: ['/proxy/up/thing'] } },
      { namespace: null, trigger: 'event', sourceEventType: 'product.updated', rule: 'product-page', upstream: 'up', targets: { surrogateKeys: ['product-7'] } },
      { namespace: 'shop', trigger: 'event', sourceEventType: 'product.updated', rule: 'product', targets: { keys: ['product:7'], tags: ['product-7'] } },
      { namespace: 'shop', trigger: 'manual', targets: { keys: ['a'], prefixes: ['cart:'], expireTags: ['t'] } },
    ])
    expect(records.every((r) => r.actor === adminActor)).toBe(true)
    expect(records.map((r) => r.at)).toEqual([...records.map((r) => r.at)].sort((a, b) => b - a))
  })

  it('filters by namespace and limits', async () => {
    expect((await history('?namespace=shop')).map((r) => r.trigger)).toEqual(['event', 'manual'])
    expect(await history('?limit=1')).toHaveLength(1)
    const bad = await send('GET', '/v1/invalidations?limit=0')
    expect(bad.statusCode).toBe(400)
  })

  it('needs read on the namespace asked about, or on * for the whole history', async () => {
    const shopReader = await auth.key({ namespace: 'shop', scopes: ['read'] })
    expect((await history('?namespace=shop', shopReader)).length).toBe(2)
    expect((await send('GET', '/v1/invalidations', undefined, shopReader)).statusCode).toBe(403)
    expect((await send('GET', '/v1/invalidations?namespace=blog', undefined, shopReader)).statusCode).toBe(403)
  })
})
