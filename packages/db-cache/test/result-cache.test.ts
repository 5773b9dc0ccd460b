import { createCache, type StrataCache } from '@strata/core'
import { requirePostgres, servers } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDbCache, type DbCache } from '../src/index.js'
import { TestSchema } from './support/schema.js'

describe('named results with declared tables', () => {
  const schema = new TestSchema(servers.postgresUrl)
  let cache: StrataCache
  let db: DbCache

  beforeAll(async () => {
    await requirePostgres()
    await schema.create(`
      CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
      CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, total int NOT NULL);
      CREATE VIEW order_totals AS SELECT customer_id, sum(total) AS total FROM orders GROUP BY customer_id;
      INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace');
      INSERT INTO orders VALUES (1, 1, 10), (2, 2, 30);
    `)
    cache = createCache({ l1: { maxEntries: 1000 } })
    db = createDbCache({ pool: schema.pool(), cache })
  })

  afterAll(async () => {
    await cache.close()
    await schema.drop()
  })

  it('computes once, serves from the cache, and recomputes after a change to a declared table (a view resolves to its base table)', async () => {
    let runs = 0
    const top = db.results.define('top-customers', { tables: ['customers', 'order_totals'], ttl: 60_000 }, async (limit: number) => {
      runs++
      const totals = await db.pool.query<{ customer_id: number; total: string }>('SELECT customer_id, total FROM order_totals ORDER BY total DESC LIMIT $1', [limit])
      const names = await db.pool.query<{ id: number; name: string }>('SELECT id, name FROM customers')
      return totals.rows.map((row) => ({ name: names.rows.find((customer) => customer.id === row.customer_id)?.name, total: Number(row.total) }))
    })
    expect(await top.get(1)).toEqual([{ name: 'Grace', total: 30 }])
    expect(await top.get(1)).toEqual([{ name: 'Grace', total: 30 }])
    expect(runs).toBe(1)
    expect(await top.get(2)).toHaveLength(2)
    expect(runs).toBe(2)

    // orders is reached only through the view: the view's base table invalidates the result.
    await db.query('INSERT INTO orders VALUES (3, 1, 100)')
    expect(await top.get(1)).toEqual([{ name: 'Ada', total: 110 }])
    expect(runs).toBe(3)

    await top.invalidate()
    await top.get(1)
    expect(runs).toBe(4)
    const stats = db.stats().find((entry) => entry.fingerprint === 'result:top-customers')!
    expect(stats).toMatchObject({ hits: 1, misses: 4 })
    expect(stats.tables.sort()).toEqual([`${schema.name}.customers`, `${schema.name}.orders`])
  })

  it('refuses bad definitions with E_INVALID_OPTION', () => {
    const loader = () => Promise.resolve(1)
    expect(() => db.results.define('bad name!', { tables: ['customers'] }, loader)).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }))
    expect(() => db.results.define('no-tables', { tables: [] }, loader)).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }))
    db.results.define('once', { tables: ['customers'] }, loader)
    expect(() => db.results.define('once', { tables: ['customers'] }, loader)).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }))
  })
})
