import { createCache, type StrataCache } from '@strata/core'
import { requirePostgres, servers } from '@strata/testkit'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDbCache, type DbCache } from '../src/index.js'
import { TestSchema } from './support/schema.js'

// Every read is checked against a write made *outside* the cache (plain pg): if the second read still shows the old
// value, it came from the cache; after a write through the cache it must show the new one.
describe('query cache on real PostgreSQL', () => {
  const schema = new TestSchema(servers.postgresUrl)
  let cache: StrataCache
  let db: DbCache
  let outside: pg.Pool

  beforeAll(async () => {
    await requirePostgres()
    await schema.create(`
      CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
      CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, total numeric NOT NULL, created timestamptz NOT NULL DEFAULT now());
      CREATE TABLE items (order_id int NOT NULL, sku text NOT NULL);
      CREATE TABLE notes (id int PRIMARY KEY, body text);
      INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace');
      INSERT INTO orders VALUES (10, 1, 100), (11, 2, 250), (12, 1, 40);
      INSERT INTO items VALUES (10, 'a'), (11, 'b');
      INSERT INTO notes VALUES (1, 'first');
      CREATE VIEW big_orders AS SELECT o.*, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.total > 50;
      CREATE VIEW big_order_names AS SELECT name FROM big_orders;
      CREATE SEQUENCE ticket;
      CREATE FUNCTION roll() RETURNS int LANGUAGE sql VOLATILE AS 'SELECT 4';
      CREATE FUNCTION note_count() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM notes';
      CREATE FUNCTION doubled(x int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT x * 2';
    `)
    cache = createCache({ l1: { maxEntries: 1000 } })
    db = createDbCache({ pool: schema.pool(), cache })
    outside = schema.pool(2)
  })

  afterAll(async () => {
    await cache.close()
    await schema.drop()
  })

  const setName = (id: number, name: string) => outside.query('UPDATE customers SET name = $1 WHERE id = $2', [name, id])

  it('answers a repeated read from the cache and a write through the cache drops it', async () => {
    const sql = 'SELECT name FROM customers WHERE id = $1'
    expect((await db.query(sql, [1])).rows).toEqual([{ name: 'Ada' }])
    await setName(1, 'Ada (outside)')
    const cached = await db.query(sql, [1])
    expect(cached.rows).toEqual([{ name: 'Ada' }])
    expect(cached.fields.map((field) => field.name)).toEqual(['name'])
    expect(cached.rowCount).toBe(1)
    // Other parameters are another entry.
    expect((await db.query(sql, [2])).rows).toEqual([{ name: 'Grace' }])

    await db.query('UPDATE customers SET name = $1 WHERE id = $2', ['Ada L.', 1])
    expect((await db.query(sql, [1])).rows).toEqual([{ name: 'Ada L.' }])
    const stats = db.statsOf(sql)!
    expect(stats).toMatchObject({ hits: 1, misses: 3, tables: [`${schema.name}.customers`] })
  })

  it('takes pg config objects (text, values, rowMode) and keeps Dates and numerics as pg returns them', async () => {
    const config = { text: 'SELECT id, total, created FROM orders WHERE id = $1', values: [10] }
    const first = await db.query(config)
    const second = await db.query(config)
    expect(second.rows).toEqual(first.rows)
    expect(second.rows[0]!.created).toBeInstanceOf(Date)
    expect(second.rows[0]!.total).toBe('100')
    const arrays = await db.query({ text: 'SELECT id, total, created FROM orders WHERE id = $1', values: [10], rowMode: 'array' })
    expect(arrays.rows[0]).toEqual([10, '100', first.rows[0]!.created])
    expect(db.statsOf(config.text)!.hits).toBeGreaterThanOrEqual(1)
  })

  it('tags a join with both tables: a change to either drops the result', async () => {
    const sql = 'SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = 11'
    expect((await db.query(sql)).rows).toEqual([{ id: 11, name: 'Grace' }])
    await db.query("UPDATE customers SET name = 'Grace H.' WHERE id = 2")
    expect((await db.query(sql)).rows).toEqual([{ id: 11, name: 'Grace H.' }])
    await db.query('UPDATE orders SET customer_id = 1 WHERE id = 11')
    expect((await db.query(sql)).rows[0]!.name).toMatch(/^Ada/)
    expect(db.statsOf(sql)!.tables.sort()).toEqual([`${schema.name}.customers`, `${schema.name}.orders`])
  })

  it('tags subqueries and CTEs with the tables inside them', async () => {
    const sub = 'SELECT count(*)::int AS n FROM orders WHERE id IN (SELECT order_id FROM items)'
    const cte = 'WITH i AS (SELECT order_id FROM items) SELECT count(*)::int AS n FROM i'
    expect((await db.query(sub)).rows).toEqual([{ n: 2 }])
    expect((await db.query(cte)).rows).toEqual([{ n: 2 }])
    await db.query("INSERT INTO items VALUES (12, 'c')")
    expect((await db.query(sub)).rows).toEqual([{ n: 3 }])
    expect((await db.query(cte)).rows).toEqual([{ n: 3 }])
    expect(db.statsOf(cte)!.tables).toEqual([`${schema.name}.items`])
  })

  it('resolves views, nested ones too, to their base tables', async () => {
    const sql = 'SELECT count(*)::int AS n FROM big_order_names'
    const before = (await db.query<{ n: number }>(sql)).rows[0]!.n
    const explained = await db.explain(sql)
    expect(explained.decision).toEqual({
      cache: true,
      tables: [
        { schema: schema.name, name: 'customers' },
        { schema: schema.name, name: 'orders' },
      ],
    })
    await db.query('INSERT INTO orders VALUES (13, 2, 999)')
    expect((await db.query<{ n: number }>(sql)).rows[0]!.n).toBe(before + 1)
  })

  it('gives literals of one shape one fingerprint in stats, and separate cache entries', async () => {
    expect((await db.query('SELECT total FROM orders WHERE id = 10')).rows).toEqual([{ total: '100' }])
    expect((await db.query('select total from orders where id = 12')).rows).toEqual([{ total: '40' }])
    await db.query('SELECT total FROM orders WHERE id = 10')
    const stats = db.statsOf('SELECT total FROM orders WHERE id = 99')!
    expect(stats).toMatchObject({ hits: 1, misses: 2, sample: 'SELECT total FROM orders WHERE id = ?' })
    expect(stats.hitRatio).toBeCloseTo(1 / 3)
    expect(stats.rowsCached).toBe(2)
    expect(stats.bytesCached).toBeGreaterThan(0)
    expect(stats.meanOriginMs).toBeGreaterThan(0)
    expect(stats.timeSavedMs).toBeCloseTo(stats.meanOriginMs)
    // orders changed a few times in this suite's first minute: a TTL around the mean gap between changes.
    expect(stats.tableChangesPerMinute).toBeGreaterThan(0)
    expect(stats.recommendation).toMatchObject({ cache: true, ttlMs: Math.round(60_000 / stats.tableChangesPerMinute) })
  })

  describe('pass-through rules (each: the second run sees a change the cache would have hidden, and stats name the reason)', () => {
    const passesThrough = async (sql: string, reason: string, values?: unknown[]) => {
      await db.query(sql, values)
      await db.query(sql, values)
      const stats = db.statsOf(sql)!
      expect(stats.hits).toBe(0)
      expect(stats.misses).toBe(0)
      expect(stats.passThroughReasons[reason as keyof typeof stats.passThroughReasons]).toBe(2)
      expect(stats.recommendation).toMatchObject({ cache: false })
      expect(stats.recommendation.why).toContain(reason)
    }

    it('volatile built-ins: random(), clock_timestamp(), nextval()', async () => {
      await passesThrough('SELECT random() AS r, id FROM notes', 'volatile-function')
      await passesThrough('SELECT clock_timestamp(), id FROM notes', 'volatile-function')
      const a = await db.query<{ t: string }>("SELECT nextval('ticket') AS t")
      const b = await db.query<{ t: string }>("SELECT nextval('ticket') AS t")
      expect(Number(b.rows[0]!.t)).toBe(Number(a.rows[0]!.t) + 1)
      expect(db.statsOf("SELECT nextval('ticket') AS t")!.passThroughReasons['volatile-function']).toBe(2)
    })

    it('time-dependent stable functions and SQL value functions: now(), CURRENT_TIMESTAMP', async () => {
      await passesThrough('SELECT now(), id FROM notes', 'time-dependent')
      await passesThrough('SELECT CURRENT_TIMESTAMP, id FROM notes', 'time-dependent')
    })

    it('user functions: volatile (pg_proc.provolatile), and stable ones that may read tables; immutable ones are cached', async () => {
      await passesThrough('SELECT roll(), id FROM notes', 'volatile-function')
      await passesThrough('SELECT note_count()', 'stable-user-function')
      await db.query('SELECT doubled(id) AS d FROM notes')
      await db.query('SELECT doubled(id) AS d FROM notes')
      expect(db.statsOf('SELECT doubled(id) AS d FROM notes')!.hits).toBe(1)
    })

    it('FOR UPDATE / FOR SHARE', async () => {
      await passesThrough('SELECT * FROM notes WHERE id = 1 FOR UPDATE', 'locking-clause')
      await passesThrough('SELECT * FROM notes WHERE id = 1 FOR SHARE', 'locking-clause')
    })

    it('statements that are not reads, and several statements in one query', async () => {
      await passesThrough("UPDATE notes SET body = 'x' WHERE id = 1", 'not-a-read')
      await passesThrough('SET statement_timeout = 0', 'not-a-read')
      await passesThrough('SELECT 1; SELECT 2', 'several-statements')
    })

    it('custom type parsers in the query config', async () => {
      const config = { text: 'SELECT id FROM notes', types: { getTypeParser: () => (value: string) => `#${value}` } }
      const result = await db.query(config)
      await db.query(config)
      expect(result.rows).toEqual([{ id: '#1' }])
      expect(db.statsOf(config.text)!.passThroughReasons['custom-type-parsers']).toBe(2)
    })

    it('open transactions: a checked-out client inside BEGIN passes through and invalidates on COMMIT only', async () => {
      const sql = 'SELECT body FROM notes WHERE id = 1'
      await db.query(sql)
      const client = await db.connect()
      try {
        await client.query('BEGIN')
        await client.query("UPDATE notes SET body = 'in tx' WHERE id = 1")
        // Inside the transaction the client sees its own write: it must not be answered from the cache...
        expect((await client.query(sql)).rows).toEqual([{ body: 'in tx' }])
        // ...and other readers still get the committed value (from the cache: nothing is invalidated yet).
        expect((await db.query(sql)).rows).not.toEqual([{ body: 'in tx' }])
        await client.query('COMMIT')
        expect((await db.query(sql)).rows).toEqual([{ body: 'in tx' }])

        await client.query('BEGIN')
        await client.query("UPDATE notes SET body = 'rolled back' WHERE id = 1")
        await client.query('ROLLBACK')
        expect((await db.query(sql)).rows).toEqual([{ body: 'in tx' }])
        // Outside a transaction the client reads through the cache.
        expect((await client.query(sql)).rows).toEqual([{ body: 'in tx' }])
      } finally {
        client.release()
      }
      expect(db.statsOf(sql)!.passThroughReasons['open-transaction']).toBe(1)
    })

    it('a failed COMMIT ends the transaction: the client reads through the cache again and nothing is invalidated', async () => {
      await outside.query('CREATE TABLE IF NOT EXISTS deferred_check (id int PRIMARY KEY, parent int REFERENCES notes (id) DEFERRABLE INITIALLY DEFERRED)')
      const sql = 'SELECT body FROM notes WHERE id = 1'
      await db.query(sql)
      const client = await db.connect()
      try {
        await client.query('BEGIN')
        await client.query('INSERT INTO deferred_check VALUES (1, 999)')
        await expect(client.query('COMMIT')).rejects.toThrow(/foreign key/)
        expect(client.transaction.open).toBe(false)
        const hits = db.statsOf(sql)!.hits
        await client.query(sql)
        expect(db.statsOf(sql)!.hits).toBe(hits + 1)
      } finally {
        client.release()
      }
    })

    it('temporary tables (private to one session), and relations the catalog does not know', async () => {
      // One connection: the catalog looks from the session that owns the temp table and sees that it is temporary.
      const single = createDbCache({ pool: schema.pool(1), cache, namespace: 'db-single' })
      await single.query('CREATE TEMP TABLE pooled_scratch (v int)')
      await single.query('SELECT v FROM pooled_scratch')
      await single.query('INSERT INTO pooled_scratch VALUES (1)')
      expect((await single.query('SELECT v FROM pooled_scratch')).rows).toEqual([{ v: 1 }])
      expect(single.statsOf('SELECT v FROM pooled_scratch')!.passThroughReasons['temporary-table']).toBe(2)
      const client = await db.connect()
      try {
        await client.query('CREATE TEMP TABLE scratch (v int)')
        await client.query('INSERT INTO scratch VALUES (1)')
        await client.query('SELECT v FROM scratch')
        await client.query('INSERT INTO scratch VALUES (2)')
        expect((await client.query('SELECT v FROM scratch')).rows).toHaveLength(2)
        // The catalog's pooled connection cannot see this session's temp table: unknown there, so never cached.
        expect(db.statsOf('SELECT v FROM scratch')!.passThroughReasons['unknown-relation']).toBe(2)
      } finally {
        client.release(true)
      }
    })

    it('unparsable SQL goes to PostgreSQL, which reports the error', async () => {
      await expect(db.query('SELEC 1')).rejects.toThrow(/syntax error/)
      expect(db.statsOf('SELEC 1')!.passThroughReasons.unparsable).toBe(1)
    })
  })

  it('refuses a query without SQL text with a typed error', async () => {
    await expect(db.query('')).rejects.toMatchObject({ code: 'E_INVALID_OPTION' })
    await expect(db.query({} as { text: string })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' })
  })

  it('DDL through the cache drops results of the table it changes and the catalog it resolved', async () => {
    const sql = 'SELECT * FROM customers WHERE id = 2'
    const before = await db.query(sql)
    await db.query('ALTER TABLE customers ADD COLUMN vip boolean NOT NULL DEFAULT false')
    const after = await db.query(sql)
    expect(Object.keys(after.rows[0]!)).toEqual([...Object.keys(before.rows[0]!), 'vip'])
  })
})
