import type { ChildProcess } from 'node:child_process'
import { RedisPendingWrites } from '@strata/queue/redis'
import { BullmqJobQueue } from '@strata/queue/bullmq'
import { requirePostgres, requireQueueRedis, uniqueName } from '@strata/testkit'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, expect, it } from 'vitest'
import { mismatches, producer, startFlusherProcess, tableName, tableRows, waitFor, writeRounds } from './support/harness.js'

const redisUrl = await requireQueueRedis()
const postgresUrl = await requirePostgres()
const name = uniqueName('wb-crash')
const table = tableName(name)
const pool = new pg.Pool({ connectionString: postgresUrl, max: 2 })
const client = new Redis(redisUrl)
const pending = new RedisPendingWrites({ client, name })
const children = new Set<ChildProcess>()

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL')
  for (const queue of [`${name}-flush`, `${name}-dead-writes`]) {
    const q = new BullmqJobQueue(queue, { url: redisUrl })
    await q.obliterate()
    await q.close()
  }
  await pending.destroy()
  await pool.query(`DROP TABLE IF EXISTS ${table}`)
  await pool.end()
  client.disconnect()
})

async function startFlusher(): Promise<ChildProcess> {
  const child = await startFlusherProcess({ redisUrl, postgresUrl, name, table })
  children.add(child)
  return child
}

it('SIGKILL of the flusher in the middle of 50,000 writes over 5,000 keys loses nothing: every row is the last acknowledged write', async () => {
  let flusher = await startFlusher()
  const cache = producer(pending)
  let rowsAtKill = 0
  const { acknowledged, writes } = await writeRounds(cache, {
    keys: 5000,
    rounds: 10,
    concurrency: 128,
    between: async (round) => {
      if (round === 2) {
        // Kill it while it is flushing: rows are arriving and writes are pending.
        await waitFor(async () => (await tableRows(pool, table)).size > 0, 20_000, 'the first flushed rows')
        flusher.kill('SIGKILL')
        await new Promise((resolve) => flusher.once('exit', resolve))
        rowsAtKill = (await tableRows(pool, table)).size
      }
      if (round === 5) flusher = await startFlusher()
    },
  })
  expect(writes).toBe(50_000)
  expect(rowsAtKill).toBeGreaterThan(0)
  await waitFor(async () => (await pending.stats(Date.now())).depth === 0, 45_000, 'the buffer to drain')
  const rows = await tableRows(pool, table)
  expect(rows.size).toBe(5000)
  expect(mismatches(acknowledged, rows)).toEqual([])
  flusher.kill('SIGTERM')
  expect(await new Promise((resolve) => flusher.once('exit', resolve))).toBe(0)
  await cache.close()
}, 120_000)
