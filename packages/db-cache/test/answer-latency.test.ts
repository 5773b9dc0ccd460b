import { createCache, memoryStore, type L2Store, type StrataCache } from '@strata/core'
import { requirePostgres, servers } from '@strata/testkit'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDbCache } from '../src/index.js'
import { TestSchema } from './support/schema.js'

/** A real in-process L2 whose writes wait until the test opens the gate. */
function gatedStore(): { store: L2Store; open(): void; writesDone(): number } {
  const inner = memoryStore()
  let openGate = (): void => undefined
  const gate = new Promise<void>((resolve) => (openGate = resolve))
  let done = 0
  const set = async (key: string, value: Uint8Array, ttlMs: number): Promise<void> => {
    await gate
    await inner.set(key, value, ttlMs)
    done++
  }
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'set') return set
      const value = Reflect.get(target, property, receiver) as unknown
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  }) as L2Store
  return {
    store,
    open: () => openGate(),
    writesDone: () => done,
  }
}

describe('how soon the query cache answers', () => {
  const schema = new TestSchema(servers.postgresUrl)
  const caches: StrataCache[] = []
  let outside: pg.Pool

  beforeAll(async () => {
    await requirePostgres()
    await schema.create(`
      CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL);
      INSERT INTO products SELECT g, 'p' || g FROM generate_series(1, 100) g;
    `)
    outside = schema.pool(1)
  })

  afterAll(async () => {
    await Promise.all(caches.map((cache) => cache.close()))
    await schema.drop()
  })

  it('answers a miss when PostgreSQL has, before the result is written to L2; later reads hit once it is', async () => {
    const l2 = gatedStore()
    const cache = createCache({ l1: { maxEntries: 1000 }, l2: l2.store })
    caches.push(cache)
    const db = createDbCache({ pool: schema.pool(2), cache })
    const sql = 'SELECT name FROM products WHERE id = $1'

    const first = await db.query(sql, [7])
    expect(first.rows).toEqual([{ name: 'p7' }])
    // The answer came while the L2 write was held at the gate (before the change, the query waited for it).
    expect(l2.writesDone()).toBe(0)
    expect(db.statsOf(sql)).toMatchObject({ misses: 1, hits: 0 })

    // A read meanwhile joins the load under way and gets the same rows.
    const joined = db.query(sql, [7])
    l2.open()
    expect((await joined).rows).toEqual([{ name: 'p7' }])
    expect(l2.writesDone()).toBe(1)
    await outside.query("UPDATE products SET name = 'changed outside' WHERE id = 7")
    expect((await db.query(sql, [7])).rows).toEqual([{ name: 'p7' }])
    expect(db.statsOf(sql)).toMatchObject({ misses: 1, hits: 2 })
  })

  // A burst of hits resolves in microtasks; without a turn of the event loop the reply of a query already sent to
  // PostgreSQL would wait for the whole burst.
  async function repliesDuringHits(hitBurstMs: number): Promise<{ replyAfterHits: number; hits: number }> {
    const cache = createCache({ l1: { maxEntries: 1000 } })
    caches.push(cache)
    const db = createDbCache({ pool: schema.pool(2), cache, hitBurstMs })
    const sql = 'SELECT name FROM products WHERE id = $1'
    for (let id = 1; id <= 100; id++) await db.query(sql, [id])
    let hits = 0
    let replyAfterHits = -1
    const reply = outside.query('SELECT 1').then(() => {
      replyAfterHits = hits
    })
    const hitsFor = 20_000
    while (hits < hitsFor) {
      await db.query(sql, [(hits % 100) + 1])
      hits++
    }
    await reply
    return { replyAfterHits, hits }
  }

  it('lets the event loop read replies during a long burst of hits (hitBurstMs)', async () => {
    const fair = await repliesDuringHits(1)
    expect(fair.replyAfterHits).toBeGreaterThanOrEqual(0)
    expect(fair.replyAfterHits).toBeLessThan(fair.hits)
    // The contrast: with no budget the reply is read only once the burst is over.
    const unfair = await repliesDuringHits(Infinity)
    expect(unfair.replyAfterHits).toBe(unfair.hits)
  })

  it('refuses a hitBurstMs that is not a duration in ms', () => {
    const cache = createCache({ l1: { maxEntries: 10 } })
    caches.push(cache)
    expect(() => createDbCache({ pool: schema.pool(1), cache, hitBurstMs: -1 })).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }))
  })
})
