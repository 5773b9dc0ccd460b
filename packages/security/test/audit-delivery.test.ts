import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually, requirePostgres, servers, uniqueName } from '@strata/testkit'
import { AuditTrail, DenialAggregator, MemoryAuditLog, type AuditEntry, type AuditRecord } from '../src/index.js'
import { PostgresAuditLog } from '../src/postgres/index.js'

/** Issue 22: an audit that can be neither dodged (NUL, a failing store) nor flooded (repeated denials). */
const pool = new pg.Pool({ connectionString: servers.postgresUrl, max: 4 })
const tables: string[] = []
beforeAll(async () => {
  await requirePostgres()
})
afterAll(async () => {
  for (const table of tables) await pool.query(`DROP TABLE IF EXISTS ${table}`)
  await pool.end()
})

const entry = (resource: string, at = Date.now()): AuditEntry => ({ actor: 'anonymous', action: 'auth.failed', resource, outcome: 'denied', ip: '192.0.2.1', at })

/** A store that fails its first `failures` appends, like PostgreSQL during a failover. */
class FlakyLog extends MemoryAuditLog {
  constructor(private failures: number) {
    super()
  }
  override append(e: AuditEntry): Promise<AuditRecord> {
    if (this.failures > 0) {
      this.failures -= 1
      return Promise.reject(new Error('connection terminated'))
    }
    return super.append(e)
  }
}

describe('audit delivery', () => {
  it('records an entry holding a NUL in PostgreSQL (which refuses U+0000) instead of losing it', async () => {
    const table = uniqueName('audit_nul').replace(/[^a-z0-9]/g, '_')
    tables.push(table)
    const log = new PostgresAuditLog(pool, table)
    await log.migrate()
    const trail = new AuditTrail(log, { source: 'test' })
    const record = await trail.record(entry('namespace:a\u0000b'))
    expect(record.resource).toBe('namespace:a\ufffdb')
    expect(await log.verify()).toMatchObject({ ok: true, rows: 1 })
  })

  it('retries a failed append from its buffer, in order, and reports each failure', async () => {
    const log = new FlakyLog(3)
    const reports: string[] = []
    const trail = new AuditTrail(log, { source: 'test', retryDelayMs: 10, onAppendError: (_error, outcome, e) => reports.push(`${outcome} ${e.resource}`) })
    trail.submit(entry('r1', 1))
    trail.submit(entry('r2', 2))
    await eventually(() => expect(log.records.map((r) => r.resource)).toEqual(['r1', 'r2']), 5_000)
    expect(reports.length).toBeGreaterThanOrEqual(3)
    expect(reports.every((r) => r.startsWith('queued'))).toBe(true)
    expect(trail.backlog).toEqual({ waiting: 0, dropped: 0 })
  })

  it('bounds the buffer and says so when it gives an entry up', async () => {
    const log = new FlakyLog(1_000)
    const dropped: string[] = []
    const trail = new AuditTrail(log, { source: 'test', retryBuffer: 2, retryDelayMs: 60_000, onAppendError: (_error, outcome, e) => outcome === 'dropped' && dropped.push(e.resource) })
    for (const r of ['a', 'b', 'c', 'd']) trail.submit(entry(r))
    await eventually(() => expect(dropped).toEqual(['a', 'b']), 5_000)
    expect(trail.backlog).toEqual({ waiting: 2, dropped: 2 })
    trail.close()
    expect(dropped).toEqual(['a', 'b', 'c', 'd'])
  })

  it('writes one row per (actor, action, resource) and window, then the count of repeats', () => {
    const written: AuditEntry[] = []
    let now = 1_000
    const denials = new DenialAggregator((e) => written.push(e), { windowMs: 60_000, clock: () => now })
    for (let i = 0; i < 500; i++) denials.deny({ actor: 'key:reader', action: 'admin DELETE /x', resource: 'route:/x', outcome: 'denied', at: now })
    denials.deny({ actor: 'key:reader', action: 'admin PUT /y', resource: 'route:/y', outcome: 'denied', at: now })
    expect(written).toHaveLength(2)
    now = 61_000
    denials.flush()
    expect(written).toHaveLength(3)
    expect(written[2]).toMatchObject({ actor: 'key:reader', resource: 'route:/x', at: 61_000, detail: { repeated: 499, windowMs: 60_000, since: 1_000 } })
  })
})
