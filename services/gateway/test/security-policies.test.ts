import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireRedis } from '@strata/testkit'
import { MemoryAuditLog } from '@strata/security'
import { ScriptedOrigin, startGateway, type TestGateway } from './support/harness.js'
import { TestAuth } from './support/auth.js'

/** Namespace security policies (typed errors, nothing stored) and purge by data subject (L1 and L2, audited). */
describe('namespace security policies and purge by subject', () => {
  const audit = new MemoryAuditLog()
  const auth = new TestAuth({ audit })
  let gw: TestGateway
  let origin: ScriptedOrigin
  let headers: Record<string, string>

  beforeAll(async () => {
    await requireRedis()
    origin = await new ScriptedOrigin().start()
    gw = await startGateway({ auth: auth.auth, upstreams: { up: { url: origin.url } } })
    headers = { 'x-api-key': await auth.admin() }
    const created = await gw.app.inject({
      method: 'PUT',
      url: '/v1/admin/namespaces/users',
      headers,
      payload: { ttl: 60_000, security: { maxTtl: 120_000, maxValueBytes: 64, keyPattern: 'u-[0-9]+', hashKeys: true } },
    })
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({ policy: { security: { maxTtl: 120_000, keyPattern: 'u-[0-9]+' } } })
  })
  afterAll(async () => {
    await gw.stop()
    await origin.stop()
  })

  const put = (key: string, payload: object, ns = 'users') => gw.app.inject({ method: 'PUT', url: `/v1/namespaces/${ns}/keys/${encodeURIComponent(key)}`, headers, payload })
  const get = (key: string, ns = 'users') => gw.app.inject({ method: 'GET', url: `/v1/namespaces/${ns}/keys/${encodeURIComponent(key)}`, headers })

  it('refuses writes over maxTtl or maxValueBytes and keys off the pattern with E_POLICY_VIOLATION, changing nothing', async () => {
    expect((await put('u-1', { value: 'ok', ttl: 120_000 })).statusCode).toBe(200)
    for (const [key, body] of [
      ['u-2', { value: 'ok', ttl: 120_001 }],
      ['u-3', { value: 'x'.repeat(100) }],
      ['admin', { value: 'ok' }],
      ['u-1; DROP', { value: 'ok' }],
    ] as const) {
      const answer = await put(key, body)
      expect(answer.statusCode, key).toBe(400)
      expect(answer.json(), key).toMatchObject({ code: 'E_POLICY_VIOLATION' })
      expect((await get(key)).statusCode, key).not.toBe(200)
    }
    const batch = await gw.app.inject({ method: 'POST', url: '/v1/namespaces/users/keys:batchSet', headers, payload: { items: [{ key: 'u-7', value: 1 }, { key: 'bad', value: 1 }] } })
    expect(batch.json()).toMatchObject({ code: 'E_POLICY_VIOLATION' })
    expect((await get('u-7')).statusCode).toBe(404)
    expect((await get('nope')).json()).toMatchObject({ code: 'E_POLICY_VIOLATION' })
  })

  it('refuses a policy that does not hold together: a bad pattern, a ttl above maxTtl', async () => {
    const bad = await gw.app.inject({ method: 'PUT', url: '/v1/admin/namespaces/x1', headers, payload: { security: { keyPattern: '(' } } })
    expect(bad.json()).toMatchObject({ code: 'E_INVALID_OPTION' })
    const ttl = await gw.app.inject({ method: 'PUT', url: '/v1/admin/namespaces/x1', headers, payload: { ttl: 10_000, security: { maxTtl: 5_000 } } })
    expect(ttl.json()).toMatchObject({ code: 'E_POLICY_VIOLATION' })
    const unknown = await gw.app.inject({ method: 'PUT', url: '/v1/admin/namespaces/x1', headers, payload: { security: { encryption: 'maybe' } } })
    expect(unknown.json()).toMatchObject({ code: 'E_INVALID_REQUEST' })
    expect((await gw.app.inject({ method: 'GET', url: '/v1/admin/namespaces/x1', headers })).statusCode).toBe(404)
  })

  it('purges everything tagged subject:<id> in every namespace and upstream, from L1 and L2, with an audit record', async () => {
    await gw.app.inject({ method: 'PUT', url: '/v1/admin/namespaces/orders', headers, payload: { ttl: 60_000 } })
    expect((await put('u-100', { value: 'profile', tags: ['subject:100'] })).statusCode).toBe(200)
    expect((await put('u-101', { value: 'someone else', tags: ['subject:101'] })).statusCode).toBe(200)
    expect((await put('o-1', { value: 'order', tags: ['subject:100'] }, 'orders')).statusCode).toBe(200)
    origin.on('/me/100', () => ({ headers: { 'cache-control': 'max-age=600', 'surrogate-key': 'subject:100' }, body: 'page of 100' }))
    await gw.app.inject({ method: 'GET', url: '/proxy/up/me/100', headers })
    expect((await gw.app.inject({ method: 'GET', url: '/proxy/up/me/100', headers })).headers['x-cache']).toBe('HIT')
    expect((await get('u-100')).statusCode).toBe(200) // now in L1 too

    const purge = await gw.app.inject({ method: 'DELETE', url: '/v1/admin/subjects/100', headers, remoteAddress: '10.0.0.7' })
    expect(purge.statusCode).toBe(200)
    expect(purge.json()).toMatchObject({ tag: 'subject:100', upstreams: ['up'], erased: { users: 1, orders: 1 }, tombstoned: [] })
    expect((await get('u-100')).statusCode).toBe(404)
    expect((await get('o-1', 'orders')).statusCode).toBe(404)
    expect((await get('u-101')).statusCode).toBe(200)
    expect((await gw.app.inject({ method: 'GET', url: '/proxy/up/me/100', headers })).headers['x-cache']).toBe('MISS')

    // L2 too: a second instance on the same store, with an empty L1, does not find them either.
    const second = await startGateway({ prefix: gw.prefix, auth: auth.auth })
    try {
      expect((await second.app.inject({ method: 'GET', url: '/v1/namespaces/users/keys/u-100', headers })).statusCode).toBe(404)
      expect((await second.app.inject({ method: 'GET', url: '/v1/namespaces/users/keys/u-101', headers })).statusCode).toBe(200)
    } finally {
      await second.stop().catch(() => undefined)
    }
    expect(audit.records.find((r) => r.action === 'subject.purge')).toMatchObject({ resource: expect.stringMatching(/^subject:hmac:[0-9a-f]{16}$/), outcome: 'allowed', ip: '10.0.0.7' })
    // users has hashKeys: its writes are audited with the key hashed, never in clear.
    const writes = audit.records.filter((r) => r.action === 'kv.write' && r.resource.startsWith('namespace:users/'))
    expect(writes.length).toBeGreaterThan(0)
    for (const write of writes) expect(write.resource).toMatch(/^namespace:users\/key:hmac:[0-9a-f]{16}$/)
    expect(JSON.stringify(audit.records)).not.toContain('u-100')
    expect(audit.records.find((r) => r.action === 'kv.write' && r.resource.startsWith('namespace:orders/'))?.resource).toBe('namespace:orders/key:o-1')
  })
})
