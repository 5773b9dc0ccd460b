import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { requireRedis } from '@strata/testkit'
import { RecordingQueue, ScriptedOrigin, json, startGateway, type TestGateway } from './support/harness.js'

const JSON_HEADERS = { 'content-type': 'application/json' }

describe('KV API against real Redis', () => {
  let gw: TestGateway
  let origin: ScriptedOrigin
  const queue = new RecordingQueue()

  beforeAll(async () => {
    await requireRedis()
    origin = await new ScriptedOrigin().start()
  })
  afterAll(async () => origin.stop())
  afterEach(async () => gw?.stop())

  async function gateway(): Promise<TestGateway> {
    gw = await startGateway({ queue, namespaces: { users: { ttl: 60_000 } } })
    return gw
  }

  it('PUT then GET answers the value with ETag, X-Cache, Age and X-Cache-TTL; DELETE removes it', async () => {
    const { app } = await gateway()
    const put = await app.inject({ method: 'PUT', url: '/v1/namespaces/users/keys/u%2F1', headers: JSON_HEADERS, payload: json({ value: { name: 'Ada' }, ttl: 30_000, tags: ['team-a'] }) })
    expect(put.statusCode).toBe(200)
    const etag = put.json<{ etag: string }>().etag
    expect(put.headers.etag).toBe(etag)

    const get = await app.inject({ method: 'GET', url: '/v1/namespaces/users/keys/u%2F1' })
    expect(get.statusCode).toBe(200)
    expect(get.json()).toEqual({ name: 'Ada' })
    expect(get.headers['x-cache']).toBe('HIT')
    expect(get.headers.etag).toBe(etag)
    expect(get.headers.age).toBe('0')
    expect(Number(get.headers['x-cache-ttl'])).toBe(30)

    // The value is in Redis, not only in this process's L1.
    expect(await gw.cache.namespace('users').inspect('u/1')).toMatchObject({ value: { name: 'Ada' } })

    expect((await app.inject({ method: 'DELETE', url: '/v1/namespaces/users/keys/u%2F1' })).statusCode).toBe(204)
    const gone = await app.inject({ method: 'GET', url: '/v1/namespaces/users/keys/u%2F1' })
    expect(gone.statusCode).toBe(404)
    expect(gone.headers['content-type']).toContain('application/problem+json')
    expect(gone.json()).toMatchObject({ code: 'E_KEY_NOT_FOUND', status: 404 })
    expect(gone.json().detail).toBe("Key not found in namespace 'users': it is not cached, and namespace 'users' has no origin to load it from")
  })

  it('stores JSON scalars and null faithfully', async () => {
    const { app } = await gateway()
    for (const [key, value] of [['s', 'text'], ['n', 42], ['z', null], ['b', false]] as const) {
      await app.inject({ method: 'PUT', url: `/v1/namespaces/users/keys/${key}`, headers: JSON_HEADERS, payload: json({ value }) })
      const get = await app.inject({ method: 'GET', url: `/v1/namespaces/users/keys/${key}` })
      expect(get.json()).toEqual(value)
    }
  })

  it('conditional requests: If-None-Match on GET → 304; If-Match on PUT/DELETE → 412 when the version differs', async () => {
    const { app } = await gateway()
    const first = await app.inject({ method: 'PUT', url: '/v1/namespaces/users/keys/c', headers: JSON_HEADERS, payload: json({ value: 1 }) })
    const etag = first.json<{ etag: string }>().etag
    const notModified = await app.inject({ method: 'GET', url: '/v1/namespaces/users/keys/c', headers: { 'if-none-match': etag } })
    expect(notModified.statusCode).toBe(304)
    expect(notModified.body).toBe('')

    const stale = await app.inject({ method: 'PUT', url: '/v1/namespaces/users/keys/c', headers: { ...JSON_HEADERS, 'if-match': '"1"' }, payload: json({ value: 2 }) })
    expect(stale.statusCode).toBe(412)
    expect(stale.json()).toMatchObject({ code: 'E_PRECONDITION_FAILED' })
    expect((await app.inject({ method: 'GET', url: '/v1/namespaces/users/keys/c' })).json()).toBe(1)

    const ok = await app.inject({ method: 'PUT', url: '/v1/namespaces/users/keys/c', headers: { ...JSON_HEADERS, 'if-match': etag }, payload: json({ value: 3 }) })
    expect(ok.statusCode).toBe(200)
    const newEtag = ok.json<{ etag: string }>().etag
    expect(newEtag).not.toBe(etag)
    expect((await app.inject({ method: 'DELETE', url: '/v1/namespaces/users/keys/c', headers: { 'if-match': etag } })).statusCode).toBe(412)
    expect((await app.inject({ method: 'DELETE', url: '/v1/namespaces/users/keys/c', headers: { 'if-match': newEtag } })).statusCode).toBe(204)

    const createOnly = { ...JSON_HEADERS, 'if-none-match': '*' }
    expect((await app.inject({ method: 'PUT', url: '/v1/namespaces/users/keys/d', headers: createOnly, payload: json({ value: 1 }) })).statusCode).toBe(200)
    expect((await app.inject({ method: 'PUT', url: '/v1/namespaces/users/keys/d', headers: createOnly, payload: json({ value: 2 }) })).statusCode).toBe(412)
  })

  it('batch get and batch set', async () => {
    const { app } = await gateway()
    const set = await app.inject({
      method: 'POST',
      url: '/v1/namespaces/users/keys:batchSet',
      headers: JSON_HEADERS,
      payload: json({ items: [{ key: 'a', value: 1 }, { key: 'b', value: { x: 2 }, ttl: 5_000, tags: ['t'] }] }),
    })
    expect(set.statusCode).toBe(200)
    expect(set.json()).toEqual({ written: 2 })
    const get = await app.inject({ method: 'POST', url: '/v1/namespaces/users/keys:batchGet', headers: JSON_HEADERS, payload: json({ keys: ['a', 'b', 'c'] }) })
    expect(get.json()).toEqual({ items: [{ key: 'a', found: true, value: 1 }, { key: 'b', found: true, value: { x: 2 } }, { key: 'c', found: false }] })
  })

  it('invalidations: keys, tags, expireTags and all', async () => {
    const { app } = await gateway()
    const put = (key: string, tags: string[]) =>
      app.inject({ method: 'PUT', url: `/v1/namespaces/users/keys/${key}`, headers: JSON_HEADERS, payload: json({ value: key, tags }) })
    await put('k1', [])
    await put('k2', ['red'])
    await put('k3', ['blue'])
    await put('k4', [])
    const status = async (key: string) => (await app.inject({ method: 'GET', url: `/v1/namespaces/users/keys/${key}` })).statusCode
    const invalidate = (body: unknown) => app.inject({ method: 'POST', url: '/v1/namespaces/users/invalidations', headers: JSON_HEADERS, payload: json(body) })

    expect((await invalidate({ keys: ['k1'] })).json()).toMatchObject({ keys: 1 })
    expect(await status('k1')).toBe(404)
    await invalidate({ tags: ['red'] })
    expect(await status('k2')).toBe(404)
    await invalidate({ expireTags: ['blue'] })
    expect(await status('k3')).toBe(404) // no grace in this namespace: expired is gone
    expect(await status('k4')).toBe(200)
    await invalidate({ all: true })
    expect(await status('k4')).toBe(404)
    expect((await invalidate({})).statusCode).toBe(400)
  })

  it('admin API: create, read, update, list, delete a namespace; policies are validated', async () => {
    const { app } = await gateway()
    const created = await app.inject({ method: 'PUT', url: '/v1/admin/namespaces/orders', headers: JSON_HEADERS, payload: json({ ttl: 10_000, grace: 5_000, maxKeyLength: 32 }) })
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({ name: 'orders', policy: { ttl: 10_000, grace: 5_000 } })
    const updated = await app.inject({ method: 'PUT', url: '/v1/admin/namespaces/orders', headers: JSON_HEADERS, payload: json({ ttl: 20_000 }) })
    expect(updated.statusCode).toBe(200)
    expect(gw.cache.namespace('orders').policy.ttl).toBe(20_000)
    const list = await app.inject({ method: 'GET', url: '/v1/admin/namespaces' })
    expect(list.json<{ namespaces: { name: string }[] }>().namespaces.map((n) => n.name)).toEqual(['orders', 'users'])
    expect((await app.inject({ method: 'GET', url: '/v1/admin/namespaces/orders' })).json()).toMatchObject({ policy: { ttl: 20_000 } })

    const bad = [
      { ttl: -5 },
      { ttl: 0 },
      { refreshAhead: 1.5 },
      { writeMode: 'write-through' },
      { stampede: 'everyone' },
      { grace: 40 * 24 * 3_600_000, ttl: 1000 },
      { unknownField: 1 },
    ]
    for (const policy of bad) {
      const res = await app.inject({ method: 'PUT', url: '/v1/admin/namespaces/orders', headers: JSON_HEADERS, payload: json(policy) })
      expect(res.statusCode, JSON.stringify(policy)).toBe(400)
      expect(res.json<{ code: string }>().code).toMatch(/^E_(INVALID_REQUEST|INVALID_TTL|INVALID_OPTION)$/)
    }
    expect(gw.cache.namespace('orders').policy.ttl).toBe(20_000)
    expect((await app.inject({ method: 'PUT', url: '/v1/admin/namespaces/proxy.x', headers: JSON_HEADERS, payload: json({}) })).statusCode).toBe(400)

    await app.inject({ method: 'PUT', url: '/v1/namespaces/orders/keys/o1', headers: JSON_HEADERS, payload: json({ value: 1 }) })
    expect((await app.inject({ method: 'DELETE', url: '/v1/admin/namespaces/orders' })).statusCode).toBe(204)
    expect((await app.inject({ method: 'GET', url: '/v1/namespaces/orders/keys/o1' })).json()).toMatchObject({ code: 'E_NAMESPACE_NOT_FOUND' })
    expect((await app.inject({ method: 'DELETE', url: '/v1/admin/namespaces/orders' })).statusCode).toBe(404)
  })

  it('read-through: a GET miss loads from the origin URL template once, honours its max-age and surrogate keys as tags', async () => {
    origin.on('/items/it%201', () => ({ headers: { 'content-type': 'application/json', 'cache-control': 'max-age=120', 'surrogate-key': 'item-1 items' }, body: json({ id: 1 }) }))
    origin.on('/items/missing', () => ({ status: 404, body: json({}) }))
    origin.on('/items/broken', () => ({ status: 500, body: 'x' }))
    const { app } = await gateway()
    await app.inject({ method: 'PUT', url: '/v1/admin/namespaces/items', headers: JSON_HEADERS, payload: json({ ttl: 10_000, origin: { url: `${origin.url}/items/{key}` } }) })

    const first = await app.inject({ method: 'GET', url: '/v1/namespaces/items/keys/it%201' })
    expect(first.statusCode).toBe(200)
    expect(first.headers['x-cache']).toBe('MISS')
    expect(first.json()).toEqual({ id: 1 })
    expect(Number(first.headers['x-cache-ttl'])).toBe(120)
    const second = await app.inject({ method: 'GET', url: '/v1/namespaces/items/keys/it%201' })
    expect(second.headers['x-cache']).toBe('HIT')
    expect(origin.hitsOf('/items/it%201')).toBe(1)

    await app.inject({ method: 'POST', url: '/v1/namespaces/items/invalidations', headers: JSON_HEADERS, payload: json({ tags: ['item-1'] }) })
    expect((await app.inject({ method: 'GET', url: '/v1/namespaces/items/keys/it%201' })).headers['x-cache']).toBe('MISS')
    expect(origin.hitsOf('/items/it%201')).toBe(2)

    const missing = await app.inject({ method: 'GET', url: '/v1/namespaces/items/keys/missing' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toMatchObject({ code: 'E_KEY_NOT_FOUND' })
    // The origin's own 404, said as such (not "has no origin").
    expect(missing.json().detail).toBe("Key not found in namespace 'items': the origin of namespace 'items' answered 404")
    const broken = await app.inject({ method: 'GET', url: '/v1/namespaces/items/keys/broken' })
    expect(broken.statusCode).toBe(502)
    expect(broken.json().code).toMatch(/^E_(LOADER|ORIGIN)_FAILED$/)
    expect(broken.body).not.toContain('at ')

    const batch = await app.inject({ method: 'POST', url: '/v1/namespaces/items/keys:batchGet', headers: JSON_HEADERS, payload: json({ keys: ['it 1', 'missing'] }) })
    expect(batch.json()).toEqual({ items: [{ key: 'it 1', found: true, value: { id: 1 } }, { key: 'missing', found: false }] })
  })

  it('write-through: PUT writes the origin first (with the version), DELETE deletes there; an origin failure leaves the cache untouched', async () => {
    const stored = new Map<string, unknown>()
    origin.on('/wt/a', (request) => {
      if (request.method === 'PUT') stored.set('a', request.body)
      if (request.method === 'DELETE') stored.delete('a')
      return { status: request.method === 'DELETE' ? 204 : 200 }
    })
    origin.on('/wt/fail', () => ({ status: 503 }))
    const { app } = await gateway()
    await app.inject({ method: 'PUT', url: '/v1/admin/namespaces/wt', headers: JSON_HEADERS, payload: json({ writeMode: 'write-through', origin: { url: `${origin.url}/wt/{key}` } }) })

    const put = await app.inject({ method: 'PUT', url: '/v1/namespaces/wt/keys/a', headers: JSON_HEADERS, payload: json({ value: { v: 1 } }) })
    expect(put.statusCode).toBe(200)
    expect(stored.get('a')).toEqual({ v: 1 })
    const write = origin.requests.find((r) => r.method === 'PUT' && r.path === '/wt/a')!
    expect(Number(write.headers['x-strata-version'])).toBe(put.json<{ version: number }>().version)
    expect((await app.inject({ method: 'GET', url: '/v1/namespaces/wt/keys/a' })).json()).toEqual({ v: 1 })

    const failed = await app.inject({ method: 'PUT', url: '/v1/namespaces/wt/keys/fail', headers: JSON_HEADERS, payload: json({ value: 1 }) })
    expect(failed.statusCode).toBe(502)
    expect(failed.json()).toMatchObject({ code: 'E_WRITER_FAILED' })
    expect(await gw.cache.namespace('wt').inspect('fail')).toBeUndefined()

    expect((await app.inject({ method: 'DELETE', url: '/v1/namespaces/wt/keys/a' })).statusCode).toBe(204)
    expect(stored.has('a')).toBe(false)
    expect(await gw.cache.namespace('wt').inspect('a')).toBeUndefined()
  })

  it('write-behind: PUT hands the write to the queue port and answers; the origin is not called', async () => {
    const { app } = await gateway()
    await app.inject({ method: 'PUT', url: '/v1/admin/namespaces/wb', headers: JSON_HEADERS, payload: json({ writeMode: 'write-behind', origin: { url: `${origin.url}/wb/{key}` } }) })
    const before = queue.writes.length
    const put = await app.inject({ method: 'PUT', url: '/v1/namespaces/wb/keys/k', headers: JSON_HEADERS, payload: json({ value: { n: 7 } }) })
    expect(put.statusCode).toBe(200)
    expect(queue.writes.slice(before)).toEqual([expect.objectContaining({ namespace: 'wb', key: 'k', value: { n: 7 }, version: put.json<{ version: number }>().version })])
    expect(origin.hitsOf('/wb/k')).toBe(0)
    expect((await app.inject({ method: 'GET', url: '/v1/namespaces/wb/keys/k' })).json()).toEqual({ n: 7 })
  })

  it('cache-aside: a namespace with an origin but cache-aside mode never writes to it', async () => {
    const { app } = await gateway()
    await app.inject({ method: 'PUT', url: '/v1/admin/namespaces/ca', headers: JSON_HEADERS, payload: json({ origin: { url: `${origin.url}/ca/{key}` } }) })
    await app.inject({ method: 'PUT', url: '/v1/namespaces/ca/keys/k', headers: JSON_HEADERS, payload: json({ value: 1 }) })
    expect(origin.requests.filter((r) => r.path === '/ca/k' && r.method !== 'GET')).toEqual([])
  })
})
