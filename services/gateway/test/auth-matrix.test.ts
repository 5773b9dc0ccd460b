import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireRedis } from '@strata/testkit'
import type { Scope } from '@strata/security'
import { ScriptedOrigin, startGateway, type TestGateway } from './support/harness.js'
import { TestAuth } from './support/auth.js'
import { PROXY_READ_METHODS, PROXY_WRITE_METHODS } from '../src/plugins/proxy-routes.js'

/**
 * Acceptance 1 of issue 10: every route of the gateway, taken from Fastify's route table (so a route added later
 * without a case here fails this test), answers 401 without credentials, 403 with a key for another namespace or
 * without the needed scope, and 2xx with a key that has exactly the needed scope.
 */
interface Case {
  scope: Scope
  /** Grant namespace that satisfies it. */
  grantNamespace: string
  path: string
  body?: unknown
}

describe('route matrix: 401 / 403 / 2xx on every route', () => {
  let gw: TestGateway
  let origin: ScriptedOrigin
  const auth = new TestAuth()
  let revokeId = ''
  let adminId = ''
  const cases = new Map<string, Case>()

  beforeAll(async () => {
    await requireRedis()
    origin = await new ScriptedOrigin().start()
    origin.on('/thing', () => ({ headers: { 'cache-control': 'max-age=60' }, body: 'ok' }))
    gw = await startGateway({
      auth: auth.auth,
      upstreams: { up: { url: origin.url } },
      namespaces: { alpha: { ttl: 60_000 }, 'alpha-del': { ttl: 60_000 } },
    })
    const admin = await auth.admin()
    adminId = admin.slice(3, 15)
    revokeId = (await auth.apiKeys.create({ name: 'to revoke', grants: [{ namespace: 'alpha', scopes: ['read'] }] })).key.id
    const put = await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/alpha/keys/k', headers: { 'x-api-key': admin }, payload: { value: 1 } })
    expect(put.statusCode).toBe(200)

    const ns = (scope: Scope, path: string, body?: unknown): Case => ({ scope, grantNamespace: 'alpha*', path, ...(body === undefined ? {} : { body }) })
    const global = (scope: Scope, path: string, body?: unknown): Case => ({ scope, grantNamespace: '*', path, ...(body === undefined ? {} : { body }) })
    const proxy = (scope: Scope): Case => ({ scope, grantNamespace: 'proxy.up', path: '/proxy/up/thing' })
    const add = (methods: string[], url: string, c: Case) => methods.forEach((m) => cases.set(`${m} ${url}`, c))
    add(['GET', 'HEAD'], '/metrics', global('read', '/metrics'))
    add(['GET', 'HEAD'], '/v1/stats', global('read', '/v1/stats'))
    add(['GET', 'HEAD'], '/v1/invalidations', global('read', '/v1/invalidations?limit=5'))
    add(['GET', 'HEAD'], '/v1/namespaces/:ns/entries', ns('read', '/v1/namespaces/alpha/entries?limit=5'))
    add(['GET', 'HEAD'], '/v1/namespaces/:ns/entries/:key', ns('read', '/v1/namespaces/alpha/entries/k'))
    add(['GET', 'HEAD'], '/v1/namespaces/:ns/keys/:key', ns('read', '/v1/namespaces/alpha/keys/k'))
    add(['PUT'], '/v1/namespaces/:ns/keys/:key', ns('write', '/v1/namespaces/alpha/keys/k', { value: 2 }))
    add(['DELETE'], '/v1/namespaces/:ns/keys/:key', ns('write', '/v1/namespaces/alpha/keys/gone'))
    add(['POST'], '/v1/namespaces/:ns/keys::batchGet', ns('read', '/v1/namespaces/alpha/keys:batchGet', { keys: ['k'] }))
    add(['POST'], '/v1/namespaces/:ns/keys::batchSet', ns('write', '/v1/namespaces/alpha/keys:batchSet', { items: [{ key: 'b', value: 1 }] }))
    add(['POST'], '/v1/namespaces/:ns/invalidations', ns('invalidate', '/v1/namespaces/alpha/invalidations', { keys: ['b'] }))
    add(['GET', 'HEAD'], '/v1/admin/namespaces', global('admin', '/v1/admin/namespaces'))
    add(['GET', 'HEAD'], '/v1/admin/namespaces/:ns', ns('admin', '/v1/admin/namespaces/alpha'))
    add(['PUT'], '/v1/admin/namespaces/:ns', ns('admin', '/v1/admin/namespaces/alpha', { ttl: 60_000 }))
    add(['PATCH'], '/v1/admin/namespaces/:ns', ns('admin', '/v1/admin/namespaces/alpha', { ttl: 30_000 }))
    add(['DELETE'], '/v1/admin/namespaces/:ns', ns('admin', '/v1/admin/namespaces/alpha-del'))
    add(['DELETE'], '/v1/admin/subjects/:subject', global('admin', '/v1/admin/subjects/user-1'))
    add(['POST'], '/v1/admin/keys', global('admin', '/v1/admin/keys', { name: 'new', grants: [{ namespace: 'alpha', scopes: ['read'] }] }))
    add(['GET', 'HEAD'], '/v1/admin/keys', global('admin', '/v1/admin/keys'))
    add(['GET', 'HEAD'], '/v1/admin/keys/:id', global('admin', `/v1/admin/keys/${adminId}`))
    add(['DELETE'], '/v1/admin/keys/:id', global('admin', `/v1/admin/keys/${revokeId}`))
    add(['GET', 'HEAD'], '/v1/admin/audit', global('admin', '/v1/admin/audit?limit=5'))
    add(['GET', 'HEAD'], '/v1/admin/audit/verify', global('admin', '/v1/admin/audit/verify'))
    add(['POST'], '/v1/proxy/purge', global('invalidate', '/v1/proxy/purge', { url: '/proxy/up/thing' }))
    add(['POST'], '/v1/events', global('invalidate', '/v1/events', { type: 'nothing.happened', data: {} }))
    add(PROXY_READ_METHODS, '/proxy/:upstream/*', proxy('read'))
    add(PROXY_WRITE_METHODS, '/proxy/:upstream/*', proxy('write'))
    add(['PURGE'], '/proxy/:upstream/*', proxy('invalidate'))
  })
  afterAll(async () => {
    await gw.stop()
    await origin.stop()
  })

  it('declares a requirement on every route, and only health, docs and the console shell are public', () => {
    const routes = gw.routes
    expect(routes.length).toBeGreaterThan(20)
    for (const route of routes) {
      expect(route.auth, `${route.method} ${route.url} declares no config.auth`).toBeDefined()
      if (route.auth === 'public') expect(route.url, `${route.method} ${route.url} is public`).toMatch(/^\/(health\/|docs|console$|console\/)/)
    }
  })

  it('answers 401, 403 (other namespace), 403 (missing scope) and 2xx (exact scope) on every protected route', async () => {
    const protectedRoutes = gw.routes.filter((r) => r.auth !== 'public')
    const missing = protectedRoutes.map((r) => `${r.method} ${r.url}`).filter((id) => !cases.has(id))
    expect(missing, 'routes without a case in this matrix').toEqual([])
    const otherNamespace = await auth.key({ namespace: 'beta', scopes: ['admin'] }, { namespace: 'proxy.other', scopes: ['admin'] })
    for (const route of protectedRoutes) {
      const id = `${route.method} ${route.url}`
      const c = cases.get(id)!
      const send = (headers: Record<string, string>) =>
        gw.app.inject({ method: route.method as 'GET', url: c.path, headers, ...(c.body === undefined ? {} : { payload: c.body as object }) })
      const anonymous = await send({})
      expect(anonymous.statusCode, `${id} without credentials`).toBe(401)
      expect(anonymous.headers['content-type'], id).toContain('application/problem+json')
      expect(anonymous.headers['www-authenticate'], id).toBe('Bearer realm="strata"')
      expect((await send({ authorization: 'Bearer sk_aaaaaaaaaaaa_' + 'x'.repeat(43) })).statusCode, `${id} with a made-up key`).toBe(401)
      const wrongNs = await send({ 'x-api-key': otherNamespace })
      expect(wrongNs.statusCode, `${id} with a key for another namespace`).toBe(403)
      if (route.method !== 'HEAD') expect(wrongNs.json<{ code: string }>().code, id).toBe('E_FORBIDDEN')
      const others = (['read', 'write', 'invalidate'] as const).filter((s) => s !== c.scope)
      const wrongRole = await auth.key({ namespace: c.grantNamespace, scopes: [...others] })
      expect((await send({ authorization: `Bearer ${wrongRole}` })).statusCode, `${id} without scope ${c.scope}`).toBe(403)
      const right = await auth.key({ namespace: c.grantNamespace, scopes: [c.scope] })
      const ok = await send({ authorization: `Bearer ${right}` })
      expect(ok.statusCode, `${id} with scope ${c.scope}: ${ok.body}`).toBeGreaterThanOrEqual(200)
      expect(ok.statusCode, `${id} with scope ${c.scope}: ${ok.body}`).toBeLessThan(300)
    }
    // Each distinct key costs one scrypt to make and one to verify first: generous time for a busy machine.
  }, 120_000)

  it('sends security headers on API answers, and none of the gateway credential reaches the origin', async () => {
    const admin = await auth.admin()
    const answer = await gw.app.inject({ method: 'GET', url: '/v1/admin/namespaces', headers: { 'x-api-key': admin } })
    expect(answer.headers['x-content-type-options']).toBe('nosniff')
    expect(answer.headers['content-security-policy']).toBeDefined()
    expect(answer.headers['strict-transport-security']).toBeDefined()
    await gw.app.inject({ method: 'GET', url: '/proxy/up/thing?fresh=1', headers: { authorization: `Bearer ${admin}` } })
    await gw.app.inject({ method: 'GET', url: '/proxy/up/thing?fresh=2', headers: { 'x-api-key': admin } })
    const seen = origin.requests.filter((r) => r.path.startsWith('/thing?fresh='))
    expect(seen).toHaveLength(2)
    for (const request of seen) {
      expect(request.headers.authorization).toBeUndefined()
      expect(request.headers['x-api-key']).toBeUndefined()
    }
    // The origin's own credentials (another scheme, beside the gateway's x-api-key) go through untouched.
    const basic = await gw.app.inject({ method: 'GET', url: '/proxy/up/thing?fresh=3', headers: { 'x-api-key': admin, authorization: 'Basic b3JpZ2luOnB3' } })
    expect(basic.statusCode).toBe(200)
    expect(origin.requests.at(-1)?.headers.authorization).toBe('Basic b3JpZ2luOnB3')
    expect(origin.requests.at(-1)?.headers['x-api-key']).toBeUndefined()
    // A public upstream needs no credential at all.
    const open = await startGateway({ auth: auth.auth, upstreams: { pub: { url: origin.url, public: true }, up: { url: origin.url } } })
    try {
      expect((await open.app.inject({ method: 'GET', url: '/proxy/pub/thing' })).statusCode).toBe(200)
      expect((await open.app.inject({ method: 'GET', url: '/proxy/up/thing' })).statusCode).toBe(401)
    } finally {
      await open.stop()
    }
    // Without a gateway credential, another scheme is a failed sign-in.
    expect((await gw.app.inject({ method: 'GET', url: '/proxy/up/thing', headers: { authorization: 'Basic b3JpZ2luOnB3' } })).statusCode).toBe(401)
  })
})
