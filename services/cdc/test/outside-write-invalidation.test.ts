import { randomUUID } from 'node:crypto'
import type { EventEnvelope, Subscription, TableChangeEvent } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { createCache, type NamespaceCache, type StrataCache } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { createDbCache, type DbCache } from '@strata/db-cache'
import { followTableChanges } from '@strata/db-cache/capture'
import { requireKafka, requirePostgres, requireRedis, servers, uniqueName } from '@strata/testkit'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCdc, type ChangeCapture } from '../src/app.js'
import { CaptureFixture } from './support/capture-fixture.js'

// Acceptance 1 of issue 7: a row updated outside Strata (plain pg, as psql would) makes the cached results that read
// its table stale-free: the next read through the cache returns the new row. Commit → invalidation time is printed.
describe('a write outside Strata invalidates the query cache through logical replication and Kafka', () => {
  const fixture = new CaptureFixture(servers.postgresUrl)
  let transport: KafkaTransport
  let capture: ChangeCapture
  let cache: StrataCache
  let db: DbCache
  let follower: Subscription
  let rowCache: NamespaceCache<unknown>
  const invalidations: { event: EventEnvelope<TableChangeEvent>; at: number }[] = []

  beforeAll(async () => {
    await requirePostgres()
    const brokers = await requireKafka()
    const redisUrl = await requireRedis()
    await fixture.create(11) // row 11 is the readiness probe's
    transport = new KafkaTransport({ brokers, clientId: 'cdc-test', log: () => undefined })
    capture = buildCdc({ transport, postgresUrl: fixture.url, slot: fixture.slot, publication: fixture.publication, tables: [fixture.table], topic: fixture.topic, instanceId: 'test' })
    await capture.start()
    cache = createCache({ prefix: uniqueName('dbc'), l1: { maxEntries: 1000 }, l2: redisStore({ url: redisUrl }) })
    db = createDbCache({ pool: new pg.Pool({ connectionString: fixture.url, max: 4 }), cache })
    rowCache = cache.namespace('accounts')
    follower = await followTableChanges(db, transport, {
      rows: [{ table: fixture.table, namespace: rowCache, key: (row) => `account:${String(row.id)}` }],
      instanceId: randomUUID(),
      group: uniqueName('dbc-follow'),
      topic: fixture.topic,
      onInvalidated: (event, at) => invalidations.push({ event, at }),
    })
    // Readiness probe: a broadcast group starts at the latest offset, and its first fetch can land after a message
    // published right after subscribe resolved; update until one change has gone all the way through.
    const deadline = Date.now() + 30_000
    while (invalidations.length === 0 && Date.now() < deadline) {
      await fixture.pool.query(`UPDATE ${fixture.table} SET owner = owner WHERE id = 11`)
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    invalidations.length = 0
  }, 120_000)

  afterAll(async () => {
    await follower?.close()
    await capture?.stop()
    await transport?.close()
    await cache?.close()
    await db?.end()
    await fixture.drop()
  })

  it('serves the new row on the next read after a plain-pg UPDATE, and measures commit → invalidation', async () => {
    const sql = `SELECT id, balance, owner FROM ${fixture.table} WHERE id = $1`
    const outside = new pg.Client({ connectionString: fixture.url })
    await outside.connect()
    const commitToInvalidation: number[] = []
    const updateToInvalidation: number[] = []
    try {
      for (let round = 1; round <= 20; round++) {
        const id = (round % 10) + 1
        expect((await db.query(sql, [id])).rows[0]).toMatchObject({ id })
        const hitsBefore = db.statsOf(sql)!.hits
        await db.query(sql, [id])
        expect(db.statsOf(sql)!.hits).toBe(hitsBefore + 1) // cached: without invalidation the old row would come back

        const seen = invalidations.length
        const updated = await outside.query(`UPDATE ${fixture.table} SET balance = $1 WHERE id = $2`, [round * 100, id])
        const committedAt = Date.now()
        expect(updated.rowCount).toBe(1)
        const invalidation = await waitForInvalidation(seen, (data) => data.keys.some((key) => key.id === id))
        expect(invalidation.event.data).toMatchObject({ schema: fixture.schema, table: 'accounts', updates: 1, keys: [{ id }] })
        commitToInvalidation.push(invalidation.at - invalidation.event.data.commitTime)
        updateToInvalidation.push(invalidation.at - committedAt)

        // No polling: the very next read through the cache returns the new row.
        expect((await db.query(sql, [id])).rows[0]).toEqual({ id, balance: round * 100, owner: `owner-${id}` })
      }
    } finally {
      await outside.end()
    }
    const summary = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b)
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
      return `median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${sorted.at(-1)} ms`
    }
    console.log(`commit → invalidation (PostgreSQL commit timestamp → cache tags dropped), 20 updates: ${summary(commitToInvalidation)}`)
    console.log(`UPDATE returned → invalidation, 20 updates: ${summary(updateToInvalidation)}`)
    expect(commitToInvalidation).toHaveLength(20)
  })

  it('drops results of joins and views over the changed table too', async () => {
    await fixture.pool.query(`CREATE VIEW ${fixture.schema}.rich AS SELECT id, owner FROM ${fixture.table} WHERE balance > 100000`)
    const sql = `SELECT count(*)::int AS n FROM ${fixture.schema}.rich`
    const before = (await db.query<{ n: number }>(sql)).rows[0]!.n
    const seen = invalidations.length
    await fixture.pool.query(`UPDATE ${fixture.table} SET balance = 500000 WHERE id IN (1, 2, 3)`)
    const invalidation = await waitForInvalidation(seen, (data) => data.updates === 3)
    expect(invalidation.event.data.keys).toHaveLength(3)
    expect((await db.query<{ n: number }>(sql)).rows[0]!.n).toBe(before + 3)
  })

  it('drops the row-level keys a rule maps from the changed rows, and only those', async () => {
    await rowCache.set('account:7', { balance: 'old' })
    await rowCache.set('account:8', { balance: 'old' })
    const seen = invalidations.length
    await fixture.pool.query(`UPDATE ${fixture.table} SET balance = balance + 1 WHERE id = 7`)
    await waitForInvalidation(seen, (data) => data.keys.some((key) => key.id === 7))
    expect(await rowCache.get('account:7')).toBeUndefined()
    expect(await rowCache.get('account:8')).toEqual({ balance: 'old' })
  })

  it('drops every tagged row entry when the table is truncated', async () => {
    await rowCache.set('account:9', { balance: 'old' }, { tags: [`table:${fixture.table}`] })
    const seen = invalidations.length
    await fixture.pool.query(`TRUNCATE ${fixture.table} CASCADE`)
    await waitForInvalidation(seen, (data) => data.truncated)
    expect(await rowCache.get('account:9')).toBeUndefined()
  })

  /** The first invalidation after index `seen` that `matches` (a late probe event must not be taken for it). */
  async function waitForInvalidation(seen: number, matches: (data: TableChangeEvent) => boolean): Promise<(typeof invalidations)[number]> {
    const deadline = Date.now() + 15_000
    for (;;) {
      const found = invalidations.slice(seen).find((entry) => matches(entry.event.data))
      if (found !== undefined) return found
      if (Date.now() > deadline) throw new Error('no matching invalidation within 15 s')
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  }
})
