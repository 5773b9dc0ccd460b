import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import { requirePostgres, servers, uniqueName } from '@strata/testkit'
import { MemoryApiKeyStore } from '../src/index.js'
import { PostgresApiKeyStore } from '../src/postgres/index.js'
import { runApiKeyStoreContract } from '../src/testing/index.js'

const pool = new pg.Pool({ connectionString: servers.postgresUrl, max: 4 })
const tables: string[] = []
beforeAll(async () => {
  await requirePostgres()
})
afterAll(async () => {
  for (const table of tables) await pool.query(`DROP TABLE IF EXISTS ${table}`)
  await pool.end()
})

runApiKeyStoreContract('memory', () => Promise.resolve(new MemoryApiKeyStore()))
runApiKeyStoreContract('postgres', async () => {
  const table = uniqueName('keys').replace(/[^a-z0-9]/g, '_')
  tables.push(table)
  const store = new PostgresApiKeyStore(pool, table)
  await store.migrate()
  return store
})
