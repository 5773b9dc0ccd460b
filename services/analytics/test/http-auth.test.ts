import { requirePostgres, uniqueName } from '@strata/testkit'
import { ApiKeys, AuditTrail, Authenticator, MemoryApiKeyStore, MemoryAuditLog, MemoryRateLimiter } from '@strata/security'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PostgresRollupStore, buildAnalytics, type Analytics } from '../src/app.js'

/** The analytics HTTP API behind packages/security: reports and metrics need `read` on every namespace. */
describe('analytics HTTP API with auth (real PostgreSQL)', () => {
  const schema = uniqueName('analytics_auth').replace(/[^a-z0-9_]/g, '_')
  const apiKeys = new ApiKeys(new MemoryApiKeyStore())
  const tokens: Record<string, string> = {}
  let pool: pg.Pool
  let analytics: Analytics

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: await requirePostgres(), max: 2 })
    analytics = buildAnalytics({
      store: new PostgresRollupStore(pool, schema),
      auth: {
        authenticator: new Authenticator(apiKeys),
        rateLimiter: new MemoryRateLimiter(),
        audit: new AuditTrail(new MemoryAuditLog(), { source: 'strata/analytics/test' }),
      },
    })
    await analytics.start()
    tokens.all = (await apiKeys.create({ name: 'reader', grants: [{ namespace: '*', scopes: ['read'] }] })).token
    tokens.orders = (await apiKeys.create({ name: 'orders reader', grants: [{ namespace: 'orders', scopes: ['read'] }] })).token
  })
  afterAll(async () => {
    await analytics?.stop()
    await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await pool?.end()
  })

  it('answers 401 without a key, 403 with a key for one namespace, 200 with read on *', async () => {
    const get = (url: string, token?: string) => analytics.http.inject({ url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
    for (const url of ['/v1/report', '/v1/report.csv', '/v1/report.html', '/v1/resources', '/metrics']) {
      expect((await get(url)).statusCode, url).toBe(401)
      expect((await get(url, tokens.orders)).statusCode, url).toBe(403)
      expect((await get(url, tokens.all)).statusCode, url).toBe(200)
    }
  })

  it('refuses anonymous callers on every route of its route table except health', async () => {
    const table = analytics.http.printRoutes({ commonPrefix: false })
    const routes = [...table.matchAll(/(\/\S*) \(([A-Z, ]+)\)/g)].flatMap((m) => m[2]!.split(', ').map((method) => ({ method, url: m[1]! })))
    expect(routes.length).toBeGreaterThanOrEqual(7)
    for (const { method, url } of routes) {
      const answer = await analytics.http.inject({ method: method as 'GET', url })
      if (url.startsWith('/health/')) expect(answer.statusCode, `${method} ${url}`).toBe(200)
      else expect(answer.statusCode, `${method} ${url}`).toBe(401)
    }
  })
  it('serves the HTML report with a CSP that allows no script, nosniff and no framing (issue 22)', async () => {
    const page = await analytics.http.inject({ url: '/v1/report.html', headers: { authorization: `Bearer ${tokens.all}` } })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-security-policy']).toContain("default-src 'none'")
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    expect(page.headers['content-security-policy']).not.toContain('script-src')
    expect(page.headers['x-content-type-options']).toBe('nosniff')
    expect(page.headers['x-frame-options']).toBe('DENY')
  })
})
