import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryTransport, TOPICS, decodeEvent, type IncomingMessage } from '@strata/bus'
import { eventually, requirePostgres, requireRedis, servers, uniqueName } from '@strata/testkit'
import { ApiKeys, AuditTrail, Authenticator, type AuditRecord } from '@strata/security'
import { PostgresApiKeyStore, PostgresAuditLog } from '@strata/security/postgres'
import { startGateway, type TestGateway } from './support/harness.js'

/**
 * Acceptance 3 of issue 10, through the gateway: keys and the audit chain in PostgreSQL; admin actions, writes,
 * invalidations and sign-in failures are recorded with who, what, when and from where, published on
 * strata.audit.v1, queryable, and editing one row in PostgreSQL makes verification name that row.
 */
describe('audit log and API keys in PostgreSQL, through the gateway', () => {
  const pool = new pg.Pool({ connectionString: servers.postgresUrl, max: 4 })
  const keysTable = uniqueName('keys').replace(/[^a-z0-9]/g, '_')
  const auditTable = uniqueName('audit').replace(/[^a-z0-9]/g, '_')
  const transport = new MemoryTransport()
  const published: IncomingMessage[] = []
  let gw: TestGateway
  let apiKeys: ApiKeys
  let admin = ''

  beforeAll(async () => {
    await requireRedis()
    await requirePostgres()
    const store = new PostgresApiKeyStore(pool, keysTable)
    const log = new PostgresAuditLog(pool, auditTable)
    await store.migrate()
    await log.migrate()
    await transport.subscribe(TOPICS.audit, { group: uniqueName('audit') }, (message) => {
      published.push(message)
      return Promise.resolve()
    })
    apiKeys = new ApiKeys(store)
    admin = (await apiKeys.create({ name: 'admin', grants: [{ namespace: '*', scopes: ['admin'] }] })).token
    gw = await startGateway({ auth: { authenticator: new Authenticator(apiKeys), audit: new AuditTrail(log, { transport, source: 'strata/gateway/test' }) } })
  })
  afterAll(async () => {
    await gw.stop()
    await transport.close()
    await pool.query(`DROP TABLE IF EXISTS ${keysTable}`)
    await pool.query(`DROP TABLE IF EXISTS ${auditTable}`)
    await pool.end()
  })

  const as = (token: string) => ({ 'x-api-key': token })
  const audit = async (query = '') =>
    (await gw.app.inject({ method: 'GET', url: `/v1/admin/audit${query}`, headers: as(admin) })).json<{ records: AuditRecord[] }>().records

  it('creates a key (secret once), lists without secrets, revokes it so it stops at once', async () => {
    const created = await gw.app.inject({ method: 'POST', url: '/v1/admin/keys', headers: as(admin), payload: { name: 'writer', grants: [{ namespace: 'orders', scopes: ['write'] }] } })
    expect(created.statusCode).toBe(201)
    expect(created.headers['cache-control']).toBe('no-store')
    const { token, key } = created.json<{ token: string; key: { id: string } }>()
    expect(token).toMatch(new RegExp(`^sk_${key.id}_`))
    const listed = await gw.app.inject({ method: 'GET', url: '/v1/admin/keys', headers: as(admin) })
    expect(listed.body).toContain(key.id)
    expect(listed.body).not.toContain(token.slice(16))
    const { rows } = await pool.query<{ hash: string }>(`SELECT hash FROM ${keysTable} WHERE id = $1`, [key.id])
    expect(rows[0]?.hash).toMatch(/^hmac-sha256\$/)

    expect((await gw.app.inject({ method: 'PUT', url: '/v1/admin/namespaces/orders', headers: as(admin), payload: { ttl: 60_000 } })).statusCode).toBeLessThan(300)
    const write = () => gw.app.inject({ method: 'PUT', url: '/v1/namespaces/orders/keys/o1', headers: as(token), payload: { value: { total: 5 } } })
    expect((await write()).statusCode).toBe(200)
    expect((await gw.app.inject({ method: 'DELETE', url: `/v1/admin/keys/${key.id}`, headers: as(admin) })).json()).toMatchObject({ id: key.id, revokedAt: expect.any(Number) as number })
    expect((await write()).statusCode).toBe(401)
    expect((await gw.app.inject({ method: 'DELETE', url: '/v1/admin/keys/nosuchkey000', headers: as(admin) })).json()).toMatchObject({ code: 'E_API_KEY_NOT_FOUND' })
  })

  it('records admin actions, writes, invalidations and sign-in failures with who, what, when and from where', async () => {
    const before = Date.now()
    await gw.app.inject({ method: 'POST', url: '/v1/namespaces/orders/invalidations', headers: as(admin), payload: { keys: ['o1'] }, remoteAddress: '10.1.2.3' })
    await gw.app.inject({ method: 'GET', url: '/v1/namespaces/orders/keys/o1', headers: { authorization: 'Bearer not-a-key' }, remoteAddress: '10.9.9.9' })
    // Appends run after the answer is sent (onResponse), so they land a moment later.
    await eventually(async () => {
      const records = await audit(`?since=${before}`)
      expect(records.find((r) => r.action === 'namespace.invalidate')).toMatchObject({ actor: `key:${admin.slice(3, 15)}`, resource: 'namespace:orders', outcome: 'allowed', ip: '10.1.2.3' })
      expect(records.find((r) => r.action === 'auth.failed')).toMatchObject({ actor: 'anonymous', outcome: 'denied', ip: '10.9.9.9', detail: { reason: 'invalid credentials' } })
    }, 5_000)
    const all = await audit()
    for (const action of ['key.create', 'namespace.put', 'kv.write', 'key.revoke', 'namespace.invalidate', 'auth.failed']) {
      expect(all.map((r) => r.action), action).toContain(action)
    }
    expect((await audit('?outcome=denied')).every((r) => r.outcome === 'denied')).toBe(true)
    expect((await gw.app.inject({ method: 'GET', url: '/v1/admin/audit?limit=abc', headers: as(admin) })).statusCode).toBe(400)
    await eventually(() => expect(published.length).toBeGreaterThanOrEqual(all.length), 5_000)
    expect(decodeEvent(published[0]!).type).toBe('strata.audit.v1')
  })

  it('verifies the chain, and names the row after someone edits it in PostgreSQL', async () => {
    const verify = async () => (await gw.app.inject({ method: 'GET', url: '/v1/admin/audit/verify', headers: as(admin) })).json<{ ok: boolean; brokenAt?: number; reason?: string; rows: number }>()
    const good = await verify()
    expect(good.ok).toBe(true)
    expect(good.rows).toBeGreaterThan(5)
    await pool.query(`UPDATE ${auditTable} SET actor = 'key:innocent' WHERE seq = 3`)
    const bad = await verify()
    expect(bad).toMatchObject({ ok: false, brokenAt: 3 })
    expect(bad.reason).toContain('row 3')
  })
})
