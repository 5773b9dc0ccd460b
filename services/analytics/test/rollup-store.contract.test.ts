import { requirePostgres, uniqueName } from '@strata/testkit'
import pg from 'pg'
import { MemoryRollupStore, PostgresRollupStore } from '../src/app.js'
import { runRollupStoreContract } from '../src/store/rollup-store-contract.js'

runRollupStoreContract('memory', () => Promise.resolve({ store: new MemoryRollupStore(), close: () => Promise.resolve() }))

runRollupStoreContract('postgres', async () => {
  const pool = new pg.Pool({ connectionString: await requirePostgres(), max: 2 })
  const schema = uniqueName('rollup_contract').replace(/[^a-z0-9]/g, '_')
  return {
    store: new PostgresRollupStore(pool, schema),
    close: async () => {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await pool.end()
    },
  }
})
