import type { Pool } from 'pg'
import { StrataError } from '@strata/core'
import type { AuditLog } from '../audit/audit-log.js'
import { ChainVerifier, GENESIS_HASH, chainHash, type AuditEntry, type AuditQuery, type AuditRecord, type AuditVerification } from '../audit/audit-record.js'

interface Row {
  seq: string
  at: string
  actor: string
  action: string
  resource: string
  outcome: AuditRecord['outcome']
  ip: string | null
  detail: Record<string, unknown> | null
  prev_hash: string
  hash: string
}

/**
 * The audit chain in PostgreSQL. Appends take a transaction-scoped advisory lock so that appends from every
 * instance form one chain (read the head, insert the next row, commit); verification pages through the table in
 * sequence order.
 */
export class PostgresAuditLog implements AuditLog {
  private readonly lockId: number

  constructor(
    private readonly pool: Pool,
    private readonly table = 'strata_audit_log',
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) throw new StrataError('E_INVALID_OPTION', `Table name '${table}' is not a plain identifier`)
    let h = 0
    for (const char of table) h = (Math.imul(h, 31) + char.charCodeAt(0)) | 0
    this.lockId = h
  }

  async migrate(): Promise<void> {
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
      seq bigint PRIMARY KEY,
      at bigint NOT NULL,
      actor text NOT NULL,
      action text NOT NULL,
      resource text NOT NULL,
      outcome text NOT NULL,
      ip text,
      detail jsonb,
      prev_hash text NOT NULL,
      hash text NOT NULL
    )`)
    await this.pool.query(`CREATE INDEX IF NOT EXISTS ${this.table}_actor_at ON ${this.table} (actor, at)`)
  }

  async append(entry: AuditEntry): Promise<AuditRecord> {
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock($1)', [this.lockId])
      const { rows } = await client.query<{ seq: string; hash: string }>(`SELECT seq, hash FROM ${this.table} ORDER BY seq DESC LIMIT 1`)
      const seq = rows[0] === undefined ? 1 : Number(rows[0].seq) + 1
      const prevHash = rows[0]?.hash ?? GENESIS_HASH
      const hash = chainHash(prevHash, seq, entry)
      await client.query(
        `INSERT INTO ${this.table} (seq, at, actor, action, resource, outcome, ip, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [seq, entry.at, entry.actor, entry.action, entry.resource, entry.outcome, entry.ip ?? null, entry.detail === undefined ? null : JSON.stringify(entry.detail), prevHash, hash],
      )
      await client.query('COMMIT')
      return { ...entry, seq, prevHash, hash }
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw error
    } finally {
      client.release()
    }
  }

  async query(q: AuditQuery): Promise<AuditRecord[]> {
    const where: string[] = []
    const values: unknown[] = []
    const add = (sql: string, value: unknown) => {
      values.push(value)
      where.push(sql.replace('?', `$${values.length}`))
    }
    if (q.actor !== undefined) add('actor = ?', q.actor)
    if (q.action !== undefined) add('action = ?', q.action)
    if (q.outcome !== undefined) add('outcome = ?', q.outcome)
    if (q.resource !== undefined) add("starts_with(resource, ?)", q.resource)
    if (q.since !== undefined) add('at >= ?', q.since)
    if (q.until !== undefined) add('at <= ?', q.until)
    values.push(Math.min(q.limit ?? 100, 1000))
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM ${this.table} ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY seq DESC LIMIT $${values.length}`,
      values,
    )
    return rows.map(fromRow)
  }

  async verify(): Promise<AuditVerification> {
    const verifier = new ChainVerifier()
    let after = 0
    for (;;) {
      const { rows } = await this.pool.query<Row>(`SELECT * FROM ${this.table} WHERE seq > $1 ORDER BY seq LIMIT 1000`, [after])
      if (rows.length === 0) return verifier.result()
      for (const row of rows) {
        const broken = verifier.check(fromRow(row))
        if (broken !== undefined) return broken
        after = Number(row.seq)
      }
    }
  }
}

function fromRow(row: Row): AuditRecord {
  return {
    seq: Number(row.seq),
    at: Number(row.at),
    actor: row.actor,
    action: row.action,
    resource: row.resource,
    outcome: row.outcome,
    ...(row.ip === null ? {} : { ip: row.ip }),
    ...(row.detail === null ? {} : { detail: row.detail }),
    prevHash: row.prev_hash,
    hash: row.hash,
  }
}
