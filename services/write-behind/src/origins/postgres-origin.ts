import type { Pool } from 'pg'
import type { FlushOrigin, FlushOutcome, FlushRecord } from './flush-origin.js'

export interface PostgresOriginOptions {
  pool: Pool
  /** Table name, optionally schema-qualified (default 'strata_write_behind'); created if missing. */
  table?: string
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$/

/**
 * A PostgreSQL table as the origin: one multi-row upsert per batch, guarded by the version so an older write never
 * overwrites a newer one and a replayed batch changes nothing.
 */
export class PostgresOrigin implements FlushOrigin {
  readonly kind = 'postgres'
  readonly table: string
  private readonly pool: Pool
  private readonly upsertSql: string

  constructor(options: PostgresOriginOptions) {
    this.pool = options.pool
    this.table = options.table ?? 'strata_write_behind'
    if (!IDENTIFIER.test(this.table)) throw new Error(`Invalid table name '${this.table}': use lower-case letters, digits and _`)
    // unnest keeps it one statement with five parameters, whatever the batch size.
    this.upsertSql = `INSERT INTO ${this.table} AS t (namespace, key, value, version, updated_at)
      SELECT n, k, v::jsonb, ver, now() FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[]) AS u(n, k, v, ver)
      ON CONFLICT (namespace, key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
      WHERE t.version < EXCLUDED.version`
  }

  /**
   * `version` is numeric, not bigint: engine versions are microseconds from a sub-millisecond clock and may carry a
   * fraction (1795498313445380.5); numeric keeps them exact, so the guard compares what the engine compared.
   */
  async ensureSchema(): Promise<void> {
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
      namespace text NOT NULL,
      key text NOT NULL,
      value jsonb,
      version numeric NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (namespace, key)
    )`)
  }

  async write(records: readonly FlushRecord[]): Promise<FlushOutcome> {
    try {
      await this.upsert(records)
      return { rejected: [] }
    } catch (error) {
      if (isTransient(error)) throw error
      // One bad row fails the statement: apply the rows one by one to find the ones the database refuses.
      const rejected: FlushOutcome['rejected'] = []
      for (const record of records) {
        try {
          await this.upsert([record])
        } catch (rowError) {
          if (isTransient(rowError)) throw rowError
          rejected.push({ record, error: rowError instanceof Error ? rowError : new Error(String(rowError)) })
        }
      }
      return { rejected }
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1')
      return true
    } catch {
      return false
    }
  }

  async close(): Promise<void> {
    await this.pool.end()
  }

  private async upsert(records: readonly FlushRecord[]): Promise<void> {
    await this.pool.query(this.upsertSql, [
      records.map((r) => r.namespace),
      records.map((r) => r.key),
      records.map((r) => (r.value === null ? null : JSON.stringify(r.value))),
      records.map((r) => String(r.version)),
    ])
  }
}

/**
 * Errors that say nothing about the rows: no connection, the server shutting down or overloaded, a timeout, a lock
 * or serialization conflict. Anything else the server answers (a constraint, a trigger's RAISE, bad data) is the row's.
 */
export function isTransient(error: unknown): boolean {
  const fields = error as { severity?: unknown; code?: unknown }
  if (typeof fields?.severity !== 'string' || typeof fields.code !== 'string') return true
  return /^(08|40|53|55P03|57|58)/.test(fields.code)
}
