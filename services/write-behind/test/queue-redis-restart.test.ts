import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, expect, it } from 'vitest'
import { RedisPendingWrites } from '@strata/queue/redis'
import { PostgresOrigin } from '../src/app.js'
import { RedisProcess, freePort, requirePostgres, uniqueName } from '@strata/testkit'
import { mismatches, producer, startApp, tableName, tableRows, waitFor, writeRounds } from './support/harness.js'

const postgresUrl = await requirePostgres()
const redis = new RedisProcess(await freePort(), { appendOnly: true })
const pool = new pg.Pool({ connectionString: postgresUrl, max: 2 })
const name = uniqueName('wb-restart')
const table = tableName(name)

afterAll(async () => {
  await redis.dispose()
  await pool.query(`DROP TABLE IF EXISTS ${table}`)
  await pool.end()
})

it('a SIGKILL and restart of the queue Redis (appendonly, appendfsync always) mid-stream loses no acknowledged write', async () => {
  await redis.start()
  const origin = new PostgresOrigin({ pool: new pg.Pool({ connectionString: postgresUrl, max: 2 }), table })
  await origin.ensureSchema()
  const service = startApp({ redisUrl: redis.url, name, origin })
  // The producer fails fast while Redis is down (an unacknowledged write), and the harness retries it.
  const producerClient = new Redis(redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 100 })
  producerClient.on('error', () => undefined)
  const cache = producer(new RedisPendingWrites({ client: producerClient, name }))
  let restartedAt = 0
  let restart: Promise<void> | undefined
  const { acknowledged, writes, retried } = await writeRounds(cache, {
    keys: 2000,
    rounds: 8,
    concurrency: 64,
    between: async (round) => {
      if (round !== 3) return
      // Kill it while writes are in flight, not between rounds: the next round starts and Redis dies under it.
      restart = new Promise<void>((resolve, reject) => {
        setTimeout(() => {
          redis
            .kill()
            .then(async () => {
              await new Promise((done) => setTimeout(done, 1000))
              await redis.start()
              restartedAt = Date.now()
            })
            .then(resolve, reject)
        }, 100)
      })
    },
  })
  // Writes can all be acknowledged the moment Redis answers again, a little before start() resolves.
  await restart
  expect(restartedAt).toBeGreaterThan(0)
  expect(retried).toBeGreaterThan(0)
  expect(writes).toBe(16_000)
  await waitFor(async () => (await service.pending.stats(Date.now())).depth === 0, 45_000, 'the buffer to drain')
  expect(mismatches(acknowledged, await tableRows(pool, table))).toEqual([])
  await cache.close()
  producerClient.disconnect()
  await service.dispose()
}, 120_000)
