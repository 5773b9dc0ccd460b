import type { Pool } from 'pg'
import { StrataError } from '@strata/core'
import type { ApiKeyRecord, ApiKeyStore } from '../api-keys/api-key-store.js'

interface Row {
  id: string
  name: string
  hash: string
  grants: ApiKeyRecord['grants']
  created_at: string
  expires_at: string | null
  revoked_at: string | null
  rate_limit: ApiKeyRecord['rateLimit'] | null
}

/** API keys in PostgreSQL, one row per key; `migrate()` creates the table (idempotent). Times are epoch ms (bigint). */
export class PostgresApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly pool: Pool,
    private readonly table = 'strata_api_keys',
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) throw new StrataError('E_INVALID_OPTION', `Table name '${table}' is not a plain identifier`)
  }

  async migrate(): Promise<void> {
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
      id text PRIMARY KEY,
      name text NOT NULL,
      hash text NOT NULL,
      grants jsonb NOT NULL,
      created_at bigint NOT NULL,
      expires_at bigint,
      revoked_at bigint,
      rate_limit jsonb
    )`)
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    try {
      await this.pool.query(
        `INSERT INTO ${this.table} (id, name, hash, grants, created_at, expires_at, revoked_at, rate_limit) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          record.id,
          record.name,
          record.hash,
          JSON.stringify(record.grants),
          record.createdAt,
          record.expiresAt ?? null,
          record.revokedAt ?? null,
          record.rateLimit === undefined ? null : JSON.stringify(record.rateLimit),
        ],
      )
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw new StrataError('E_INVALID_OPTION', `API key id ${record.id} exists`, { cause: error })
      throw error
    }
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.pool.query<Row>(`SELECT * FROM ${this.table} WHERE id = $1`, [id])
    return rows[0] === undefined ? undefined : fromRow(rows[0])
  }

  async list(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.pool.query<Row>(`SELECT * FROM ${this.table} ORDER BY created_at DESC, id`)
    return rows.map(fromRow)
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(`UPDATE ${this.table} SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, [id, at])
    return (rowCount ?? 0) > 0
  }

  async replaceHash(id: string, previous: string, next: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`UPDATE ${this.table} SET hash = $3 WHERE id = $1 AND hash = $2`, [id, previous, next])
    return (rowCount ?? 0) > 0
  }
}

function fromRow(row: Row): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    grants: row.grants,
    createdAt: Number(row.created_at),
    ...(row.expires_at === null ? {} : { expiresAt: Number(row.expires_at) }),
    ...(row.revoked_at === null ? {} : { revokedAt: Number(row.revoked_at) }),
    ...(row.rate_limit === null ? {} : { rateLimit: row.rate_limit }),
  }
}
