import { randomBytes } from 'node:crypto'
import { dropReplicationSlot } from '@strata/db-cache/capture'
import pg from 'pg'

/** A throwaway schema with one table, and the names of a slot and publication that cover only that table. */
export class CaptureFixture {
  readonly id = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
  readonly schema = `cdc_${this.id}`
  readonly table = `${this.schema}.accounts`
  readonly slot = `slot_${this.id}`
  readonly publication = `pub_${this.id}`
  readonly topic = `test.table-changes.${this.id}`
  readonly pool: pg.Pool

  constructor(readonly url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 3 })
    this.pool.on('error', () => undefined)
  }

  async create(rows: number): Promise<void> {
    await this.pool.query(`CREATE SCHEMA ${this.schema}`)
    await this.pool.query(`CREATE TABLE ${this.table} (id int PRIMARY KEY, balance int NOT NULL, owner text NOT NULL)`)
    await this.pool.query(`INSERT INTO ${this.table} SELECT g, 0, 'owner-' || g FROM generate_series(1, $1) g`, [rows])
  }

  async drop(): Promise<void> {
    // The slot retains WAL while it exists: always drop it (it must be inactive, so captures stop first).
    for (let attempt = 0; attempt < 20; attempt++) {
      const active = await this.pool.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active', [this.slot])
      if (active.rowCount === 0) break
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    await dropReplicationSlot({ connectionString: this.url, slot: this.slot, publication: this.publication })
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`)
    await this.pool.end()
  }
}
