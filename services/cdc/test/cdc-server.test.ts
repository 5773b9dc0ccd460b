import { MemoryTransport } from '@strata/bus'
import { ApiKeys, Authenticator, MemoryApiKeyStore } from '@strata/security'
import { requirePostgres, servers } from '@strata/testkit'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCdc } from '../src/app.js'
import { buildCdcServer } from '../src/http/cdc-server.js'
import { CaptureFixture } from './support/capture-fixture.js'

/** The capture's health and metrics, with API keys: streaming from a real slot, then not after stop. */
describe('cdc health and metrics', () => {
  const fixture = new CaptureFixture(servers.postgresUrl)
  const apiKeys = new ApiKeys(new MemoryApiKeyStore())
  const transport = new MemoryTransport()
  let pool: pg.Pool
  let capture: ReturnType<typeof buildCdc>
  let server: ReturnType<typeof buildCdcServer>
  let reader: string

  beforeAll(async () => {
    await requirePostgres()
    await fixture.create(5)
    pool = new pg.Pool({ connectionString: fixture.url, max: 2 })
    capture = buildCdc({ transport, postgresUrl: fixture.url, slot: fixture.slot, publication: fixture.publication, tables: [fixture.table], topic: fixture.topic, instanceId: 'test', log: () => undefined })
    server = buildCdcServer({ capture, slot: fixture.slot, pool, busReady: () => Promise.resolve(true), auth: { authenticator: new Authenticator(apiKeys) }, processMetrics: false })
    reader = (await apiKeys.create({ name: 'scraper', grants: [{ namespace: '*', scopes: ['read'] }] })).token
  }, 60_000)
  afterAll(async () => {
    await server?.close()
    await capture?.stop().catch(() => undefined)
    await pool?.end()
    await fixture.drop()
  })

  it('is not ready before it streams, is ready while it does, counts what it published, and keeps /metrics behind a key', async () => {
    expect((await server.app.inject({ url: '/health/ready' })).json()).toEqual({ status: 'unready', checks: { streaming: { status: 'down', detail: 'not streaming from the replication slot' }, bus: { status: 'up' } } })
    await capture.start()
    expect((await server.app.inject({ url: '/health/ready' })).statusCode).toBe(200)

    const published = new Promise<void>((resolve) => capture.onPublished(() => resolve()))
    await fixture.pool.query(`UPDATE ${fixture.table} SET balance = balance + 1 WHERE id = 1`)
    await published

    expect((await server.app.inject({ url: '/metrics' })).statusCode).toBe(401)
    const metrics = await server.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${reader}` } })
    expect(metrics.statusCode).toBe(200)
    expect(metrics.body).toContain('strata_cdc_streaming 1')
    expect(metrics.body).toMatch(/^strata_cdc_transactions_total 1$/m)
    expect(metrics.body).toMatch(/^strata_cdc_events_total 1$/m)
    expect(metrics.body).toMatch(/^strata_cdc_slot_lag_bytes \d+$/m)

    await capture.stop()
    expect((await server.app.inject({ url: '/health/ready' })).statusCode).toBe(503)
  }, 60_000)
})
