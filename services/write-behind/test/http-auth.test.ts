import { ApiKeys, AuditTrail, Authenticator, MemoryApiKeyStore, MemoryAuditLog } from '@strata/security'
import { requirePostgres, requireQueueRedis, uniqueName } from '@strata/testkit'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PostgresOrigin } from '../src/app.js'
import { startApp, tableName } from './support/harness.js'

/** The write-behind HTTP API behind packages/security: metrics and counts need `read` on `*`, a replay `admin`. */
describe('write-behind HTTP API with auth', () => {
  const apiKeys = new ApiKeys(new MemoryApiKeyStore())
  const audit = new MemoryAuditLog()
  const tokens: Record<string, string> = {}
  const name = uniqueName('wb-auth')
  let pool: pg.Pool
  let service: ReturnType<typeof startApp>

  beforeAll(async () => {
    const postgresUrl = await requirePostgres()
    pool = new pg.Pool({ connectionString: postgresUrl, max: 2 })
    const origin = new PostgresOrigin({ pool: new pg.Pool({ connectionString: postgresUrl, max: 2 }), table: tableName(name) })
    await origin.ensureSchema()
    service = startApp({
      redisUrl: await requireQueueRedis(),
      name,
      origin,
      auth: { authenticator: new Authenticator(apiKeys), audit: new AuditTrail(audit, { source: 'strata/write-behind/test' }) },
    })
    tokens.reader = (await apiKeys.create({ name: 'reader', grants: [{ namespace: '*', scopes: ['read'] }] })).token
    tokens.admin = (await apiKeys.create({ name: 'operator', grants: [{ namespace: '*', scopes: ['admin'] }] })).token
  })
  afterAll(async () => {
    await service?.dispose()
    await pool?.query(`DROP TABLE IF EXISTS ${tableName(name)}`)
    await pool?.end()
  })

  const call = (method: 'GET' | 'POST', url: string, token?: string) =>
    service.app.server.inject({ method, url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })

  it('answers 401 without a key on every route but health, 403 for a replay with a read key, and audits the replay', async () => {
    const routes = [
      { method: 'GET', url: '/metrics' },
      { method: 'GET', url: '/v1/dead-writes' },
      { method: 'POST', url: '/v1/dead-writes/replay' },
    ] as const
    for (const { method, url } of routes) expect((await call(method, url)).statusCode, `${method} ${url}`).toBe(401)
    for (const url of ['/health/live', '/health/ready']) expect((await call('GET', url)).statusCode, url).not.toBe(401)
    expect((await call('GET', '/metrics', tokens.reader)).statusCode).toBe(200)
    expect((await call('GET', '/v1/dead-writes', tokens.reader)).json()).toEqual({ queue: name, waiting: 0 })
    const refused = await call('POST', '/v1/dead-writes/replay', tokens.reader)
    expect(refused.statusCode).toBe(403)
    expect(refused.headers['content-type']).toContain('application/problem+json')
    expect((await call('POST', '/v1/dead-writes/replay', tokens.admin)).json()).toEqual({ queue: name, replayed: 0, left: 0 })
    const records = await audit.query({ action: 'write-behind.replay' })
    expect(records.map((record) => record.outcome).sort()).toEqual(['allowed', 'denied'])
  })
})
