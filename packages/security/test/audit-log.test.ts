import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryTransport, TOPICS, decodeEvent, type IncomingMessage } from '@strata/bus'
import { eventually, requirePostgres, servers, uniqueName } from '@strata/testkit'
import { AuditTrail, MemoryAuditLog, type AuditEntry } from '../src/index.js'
import { PostgresAuditLog } from '../src/postgres/index.js'

const pool = new pg.Pool({ connectionString: servers.postgresUrl, max: 8 })
const tables: string[] = []
beforeAll(async () => {
  await requirePostgres()
})
afterAll(async () => {
  for (const table of tables) await pool.query(`DROP TABLE IF EXISTS ${table}`)
  await pool.end()
})

async function pgLog(): Promise<{ log: PostgresAuditLog; table: string }> {
  const table = uniqueName('audit').replace(/[^a-z0-9]/g, '_')
  tables.push(table)
  const log = new PostgresAuditLog(pool, table)
  await log.migrate()
  return { log, table }
}

function entry(i: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return { actor: `key:actor${i % 2}`, action: i % 3 === 0 ? 'kv.write' : 'namespace.put', resource: `namespace:ns${i}`, outcome: 'allowed', ip: '127.0.0.1', detail: { status: 200, nested: { b: 1, a: [i] } }, at: 1_700_000_000_000 + i, ...overrides }
}

describe.each([
  ['memory', () => Promise.resolve({ log: new MemoryAuditLog() })],
  ['postgres', pgLog],
])('%s audit log', (_name, make) => {
  it('chains each row to the previous one and verifies', async () => {
    const { log } = await make()
    const first = await log.append(entry(1))
    const second = await log.append(entry(2))
    expect(first.seq).toBe(1)
    expect(second.prevHash).toBe(first.hash)
    await log.append(entry(3))
    expect(await log.verify()).toMatchObject({ ok: true, rows: 3 })
  })

  it('queries by actor, action, outcome, resource prefix and time, newest first', async () => {
    const { log } = await make()
    for (let i = 1; i <= 6; i++) await log.append(entry(i, i === 5 ? { outcome: 'denied' } : {}))
    expect((await log.query({ actor: 'key:actor1' })).map((r) => r.seq)).toEqual([5, 3, 1])
    expect((await log.query({ action: 'kv.write' })).map((r) => r.seq)).toEqual([6, 3])
    expect((await log.query({ outcome: 'denied' })).map((r) => r.seq)).toEqual([5])
    expect((await log.query({ resource: 'namespace:ns4' })).map((r) => r.seq)).toEqual([4])
    expect((await log.query({ since: 1_700_000_000_002, until: 1_700_000_000_003 })).map((r) => r.seq)).toEqual([3, 2])
    expect((await log.query({ limit: 2 })).map((r) => r.seq)).toEqual([6, 5])
    expect((await log.query({}))[0]).toMatchObject({ ip: '127.0.0.1', detail: { status: 200, nested: { b: 1, a: [6] } } })
  })
})

describe('postgres audit log tampering', () => {
  it('names the row whose content was edited in PostgreSQL', async () => {
    const { log, table } = await pgLog()
    for (let i = 1; i <= 5; i++) await log.append(entry(i))
    await pool.query(`UPDATE ${table} SET outcome = 'denied' WHERE seq = 3`)
    const result = await log.verify()
    expect(result).toMatchObject({ ok: false, brokenAt: 3 })
    expect(result.ok ? '' : result.reason).toContain('row 3')
  })

  it('names the row after a deleted one, and a row whose hash was recomputed by the editor', async () => {
    const { log, table } = await pgLog()
    for (let i = 1; i <= 4; i++) await log.append(entry(i))
    await pool.query(`DELETE FROM ${table} WHERE seq = 2`)
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: 3 })

    const other = await pgLog()
    for (let i = 1; i <= 4; i++) await other.log.append(entry(i))
    // An editor who also rewrites the row's own hash still breaks the link from the next row.
    const { chainHash } = await import('../src/index.js')
    const { rows } = await pool.query<{ prev_hash: string }>(`SELECT prev_hash FROM ${other.table} WHERE seq = 2`)
    const forged = chainHash(rows[0]!.prev_hash, 2, entry(2, { actor: 'key:someone-else' }))
    await pool.query(`UPDATE ${other.table} SET actor = 'key:someone-else', hash = $1 WHERE seq = 2`, [forged])
    expect(await other.log.verify()).toMatchObject({ ok: false, brokenAt: 3 })
  })

  it('keeps one chain when several writers (separate pools, as separate instances) append at once', async () => {
    const { log, table } = await pgLog()
    const otherPool = new pg.Pool({ connectionString: servers.postgresUrl, max: 4 })
    const other = new PostgresAuditLog(otherPool, table)
    try {
      await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? log : other).append(entry(i))))
      expect(await log.verify()).toMatchObject({ ok: true, rows: 40 })
    } finally {
      await otherPool.end()
    }
  })
})

describe('AuditTrail', () => {
  it('appends to the store and publishes strata.audit.v1 on the bus', async () => {
    const transport = new MemoryTransport()
    const received: IncomingMessage[] = []
    await transport.subscribe(TOPICS.audit, { group: uniqueName('audit') }, (message) => {
      received.push(message)
      return Promise.resolve()
    })
    const log = new MemoryAuditLog()
    const trail = new AuditTrail(log, { transport, source: 'strata/test' })
    const record = await trail.record(entry(1))
    await eventually(() => expect(received).toHaveLength(1), 5_000)
    const event = decodeEvent(received[0]!)
    expect(event.type).toBe('strata.audit.v1')
    expect(event.data).toMatchObject({ actor: 'key:actor1', action: 'namespace.put', outcome: 'allowed', detail: { seq: 1, hash: record.hash, ip: '127.0.0.1' } })
    expect(log.records).toHaveLength(1)
    await transport.close()
  })
})
