import { setTimeout as sleep } from 'node:timers/promises'
import { RedisPendingWrites } from '@strata/queue/redis'
import { TcpProxy, freePort, requirePostgres, requireQueueRedis, uniqueName, urlHostPort } from '@strata/testkit'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, expect, it } from 'vitest'
import { PostgresOrigin, type DeadWrite, type WriteBehindErrorEvent } from '../src/app.js'
import { BullmqJobQueue } from '@strata/queue/bullmq'
import { mismatches, NAMESPACE, producer, startApp, tableName, tableRows, waitFor, writeRounds } from './support/harness.js'


const redisUrl = await requireQueueRedis()
const postgresUrl = await requirePostgres()
const pool = new pg.Pool({ connectionString: postgresUrl, max: 2 })
const client = new Redis(redisUrl)
const tables: string[] = []
// The issue asks for 30 s; STRATA_WB_OUTAGE_MS shortens it for a quick local loop.
const outageMs = Number(process.env.STRATA_WB_OUTAGE_MS ?? 30_000)

afterAll(async () => {
  for (const table of tables) await pool.query(`DROP TABLE IF EXISTS ${table}`)
  await pool.end()
  client.disconnect()
})

it(`keeps every write while PostgreSQL is unreachable for ${outageMs / 1000} s and flushes them once it is back`, async () => {
  const name = uniqueName('wb-outage')
  const table = tableName(name)
  tables.push(table)
  const target = urlHostPort(postgresUrl, 5432)
  const proxy = new TcpProxy(await freePort(), target)
  await proxy.start()
  const viaProxy = new URL(postgresUrl)
  viaProxy.host = `127.0.0.1:${proxy.port}`
  const originPool = new pg.Pool({ connectionString: viaProxy.toString(), max: 2, connectionTimeoutMillis: 1000, statement_timeout: 2000 })
  originPool.on('error', () => undefined)
  const origin = new PostgresOrigin({ pool: originPool, table })
  await origin.ensureSchema()
  // Retries must outlast the outage: capped at 2 s, 40 attempts span well over a minute even with jitter.
  const dead: WriteBehindErrorEvent[] = []
  const service = startApp({ redisUrl, name, origin, retry: { attempts: 40, baseMs: 100, maxMs: 2000 }, onError: (event) => dead.push(event) })
  const cache = producer(new RedisPendingWrites({ client, name }))

  const before = await writeRounds(cache, { keys: 500, rounds: 2, concurrency: 32 })
  await waitFor(async () => (await service.pending.stats(Date.now())).depth === 0, 20_000, 'the first writes to flush')
  await proxy.stop()
  const outageStarted = Date.now()
  const during = await writeRounds(cache, { keys: 500, rounds: 3, concurrency: 32 })
  await sleep(Math.max(0, outageMs / 2 - (Date.now() - outageStarted)))
  const midOutage = await service.app.flusher.getMetrics()
  expect(midOutage.queueDepth).toBe(500)
  expect(midOutage.failures).toBeGreaterThan(0)
  expect(midOutage.flushLagMs).toBeGreaterThan(outageMs / 2 - 1000)
  await sleep(Math.max(0, outageMs - (Date.now() - outageStarted)))
  await proxy.start()

  await waitFor(async () => (await service.pending.stats(Date.now())).depth === 0, 30_000, 'the writes kept during the outage to flush')
  expect(before.writes + during.writes).toBe(2500)
  expect(mismatches(during.acknowledged, await tableRows(pool, table))).toEqual([])
  expect(dead).toEqual([])
  expect((await service.app.flusher.getMetrics()).deadLetters).toBe(0)
  await cache.close()
  await service.dispose()
  await proxy.stop()
}, 120_000)

it('dead-letters only the key whose rows the origin rejects, after its last attempt, with an error event', async () => {
  const name = uniqueName('wb-poison')
  const table = tableName(name)
  tables.push(table)
  const origin = new PostgresOrigin({ pool: new pg.Pool({ connectionString: postgresUrl, max: 2 }), table })
  await origin.ensureSchema()
  await pool.query(`CREATE FUNCTION ${table}_reject() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.key = 'k7' THEN RAISE EXCEPTION 'account k7 is frozen'; END IF; RETURN NEW; END $$`)
  await pool.query(`CREATE TRIGGER reject BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${table}_reject()`)
  const events: WriteBehindErrorEvent[] = []
  const service = startApp({ redisUrl, name, origin, retry: { attempts: 3, baseMs: 50, maxMs: 100 }, onError: (event) => events.push(event) })
  // Every write as made inside one traced request: dead letters and replays must keep naming it.
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
  const cache = producer(new RedisPendingWrites({ client, name }), traceparent)
  const { acknowledged } = await writeRounds(cache, { keys: 200, rounds: 2, concurrency: 16 })
  await waitFor(async () => (await service.pending.stats(Date.now())).depth === 0, 20_000, 'the buffer to drain')

  const rows = await tableRows(pool, table)
  expect(rows.size).toBe(199)
  expect(rows.has('k7')).toBe(false)
  expect(mismatches(new Map([...acknowledged].filter(([key]) => key !== 'k7')), rows)).toEqual([])
  expect(events).toHaveLength(1)
  expect(events[0]).toMatchObject({ type: 'strata.write-behind.dead-letter', code: 'E_ORIGIN_REJECTED', namespace: NAMESPACE, key: 'k7', attempts: 3, traceparent })
  expect(events[0]!.message).toContain('account k7 is frozen')
  const metrics = await service.app.flusher.getMetrics()
  expect(metrics).toMatchObject({ deadLetters: 1, queueDepth: 0 })

  // The dead letter keeps its value and error, for inspection and replay.
  const deadQueue = new BullmqJobQueue<DeadWrite>(`${name}-dead-writes`, { url: redisUrl })
  expect((await deadQueue.counts()).waiting).toBe(1)
  await deadQueue.close()
  expect((await service.app.server.inject({ method: 'GET', url: '/v1/dead-writes' })).json()).toEqual({ queue: name, waiting: 1 })

  // Replayed while the cause is still there, it dead-letters again, still naming the request that made the write.
  expect((await service.app.server.inject({ method: 'POST', url: '/v1/dead-writes/replay' })).json()).toEqual({ queue: name, replayed: 1, left: 0 })
  await waitFor(() => events.length === 2, 20_000, 'the replayed write to dead-letter again')
  expect(events[1]).toMatchObject({ key: 'k7', traceparent })

  // The operator fixes the cause at the origin and replays: k7's last acknowledged value reaches the table.
  await pool.query(`DROP TRIGGER reject ON ${table}`)
  const replay = await service.app.server.inject({ method: 'POST', url: '/v1/dead-writes/replay' })
  expect(replay.json()).toEqual({ queue: name, replayed: 1, left: 0 })
  await waitFor(async () => (await tableRows(pool, table)).has('k7'), 20_000, 'the replayed write')
  expect(mismatches(acknowledged, await tableRows(pool, table))).toEqual([])
  expect((await service.app.server.inject({ method: 'GET', url: '/v1/dead-writes' })).json()).toEqual({ queue: name, waiting: 0 })

  const response = await service.app.server.inject({ method: 'GET', url: '/metrics' })
  expect(response.statusCode).toBe(200)
  expect(response.body).toContain(`strata_write_behind_dead_letters_total{queue="${name}"} 2`)
  expect(response.body).toContain(`strata_write_behind_queue_depth{queue="${name}"} 0`)
  expect(response.body).toMatch(/strata_write_behind_batch_size_count\{[^}]*\} [1-9]/)
  expect((await service.app.server.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200)
  await cache.close()
  await service.dispose()
}, 60_000)
