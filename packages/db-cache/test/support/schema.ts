import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** A throwaway schema on the real PostgreSQL, and pools whose search_path points at it. */
export class TestSchema {
  readonly name = `dbc_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
  private readonly pools: pg.Pool[] = []

  constructor(readonly url: string) {}

  /** A pool with search_path = this schema, public. */
  pool(max = 4): pg.Pool {
    const pool = new pg.Pool({ connectionString: this.url, max, options: `-c search_path=${this.name},public` })
    pool.on('error', () => undefined)
    this.pools.push(pool)
    return pool
  }

  async create(ddl: string): Promise<void> {
    const admin = new pg.Client({ connectionString: this.url, options: `-c search_path=${this.name},public` })
    await admin.connect()
    try {
      await admin.query(`CREATE SCHEMA ${this.name}`)
      await admin.query(ddl)
    } finally {
      await admin.end()
    }
  }

  async drop(): Promise<void> {
    const admin = new pg.Client({ connectionString: this.url })
    await admin.connect()
    try {
      await admin.query(`DROP SCHEMA IF EXISTS ${this.name} CASCADE`)
    } finally {
      await admin.end()
    }
    await Promise.all(this.pools.map((pool) => pool.end()))
  }
}
