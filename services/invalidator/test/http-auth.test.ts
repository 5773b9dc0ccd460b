import { MemoryTransport, transportInvalidationBus } from '@strata/bus'
import { redisStore } from '@strata/core/redis'
import { requireRedis, uniqueName } from '@strata/testkit'
import { ApiKeys, AuditTrail, Authenticator, MemoryApiKeyStore, MemoryAuditLog, MemoryRateLimiter } from '@strata/security'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryEventDedupe, buildInvalidator, parseRules, type Invalidator } from '../src/app.js'

/** The invalidator's HTTP API behind packages/security: every route answers 401 / 403 / 2xx by its declared scope. */
describe('invalidator HTTP API with auth', () => {
  const transport = new MemoryTransport()
  const apiKeys = new ApiKeys(new MemoryApiKeyStore())
  const audit = new MemoryAuditLog()
  let invalidator: Invalidator
  const tokens: Record<string, string> = {}

  beforeAll(async () => {
    const redisUrl = await requireRedis()
    invalidator = buildInvalidator({
      transport,
      l2: redisStore({ url: redisUrl }),
      publisher: transportInvalidationBus(transport, { instanceId: 'invalidator', topic: uniqueName('inv') }),
      rules: parseRules('version: 1\nrules: []\n', 'empty.yaml'),
      dedupe: new MemoryEventDedupe(),
      prefix: uniqueName('inv'),
      recordsTopic: false,
      auth: {
        authenticator: new Authenticator(apiKeys),
        rateLimiter: new MemoryRateLimiter(),
        defaultRateLimit: { perSecond: 1, burst: 50 },
        audit: new AuditTrail(audit, { source: 'strata/invalidator/test' }),
      },
    })
    await invalidator.start()
    for (const [name, grants] of Object.entries({
      orders: [{ namespace: 'orders', scopes: ['invalidate' as const] }],
      ordersReader: [{ namespace: 'orders', scopes: ['read' as const] }],
      users: [{ namespace: 'users', scopes: ['invalidate' as const] }],
      metrics: [{ namespace: '*', scopes: ['read' as const] }],
    })) {
      tokens[name] = (await apiKeys.create({ name, grants })).token
    }
  })
  afterAll(async () => {
    await invalidator.stop()
    await transport.close()
  })

  const invalidate = (token?: string, namespace = 'orders') =>
    invalidator.http.inject({ method: 'POST', url: '/v1/invalidations', headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, payload: { namespace, keys: ['o1'] } })

  it('needs invalidate on the namespace named in the body', async () => {
    const anonymous = await invalidate()
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.json()).toMatchObject({ code: 'E_UNAUTHENTICATED' })
    expect((await invalidate(tokens.users)).statusCode).toBe(403)
    expect((await invalidate(tokens.ordersReader)).statusCode).toBe(403)
    expect((await invalidate(tokens.orders, 'users')).statusCode).toBe(403)
    const ok = await invalidate(tokens.orders)
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toMatchObject({ record: { namespace: 'orders' } })
    expect(audit.records.map((r) => [r.action, r.outcome])).toContainEqual(['invalidation.manual', 'allowed'])
    expect(audit.records.map((r) => [r.action, r.outcome])).toContainEqual(['auth.failed', 'denied'])
  })

  it('keeps health open and /metrics behind read on *', async () => {
    expect((await invalidator.http.inject({ url: '/health/live' })).statusCode).toBe(200)
    expect((await invalidator.http.inject({ url: '/metrics' })).statusCode).toBe(401)
    expect((await invalidator.http.inject({ url: '/metrics', headers: { 'x-api-key': tokens.orders! } })).statusCode).toBe(403)
    expect((await invalidator.http.inject({ url: '/metrics', headers: { 'x-api-key': tokens.metrics! } })).statusCode).toBe(200)
  })

  it('refuses anonymous callers on every route of its route table except health', async () => {
    const table = invalidator.http.printRoutes({ commonPrefix: false })
    const routes = [...table.matchAll(/(\/\S*) \(([A-Z, ]+)\)/g)].flatMap((m) => m[2]!.split(', ').map((method) => ({ method, url: m[1]! })))
    expect(routes.length).toBeGreaterThanOrEqual(7)
    for (const { method, url } of routes) {
      const answer = await invalidator.http.inject({ method: method as 'GET', url, ...(method === 'POST' ? { payload: { namespace: 'orders', all: true } } : {}) })
      if (url.startsWith('/health/')) expect(answer.statusCode, `${method} ${url}`).not.toBe(401)
      else expect(answer.statusCode, `${method} ${url}`).toBe(401)
    }
  })
})
