import { createCache, type StrataCache } from '@strata/core'
import { requirePostgres, servers } from '@strata/testkit'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDbCache } from '../src/index.js'
import { TestSchema } from './support/schema.js'

describe('hits and the event loop', () => {
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
