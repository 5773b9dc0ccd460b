import { createCache, type StrataCache } from '@strata/core'
import { writeBehindQueue } from '@strata/queue'
import { BullmqJobQueue } from '@strata/queue/bullmq'
import { RedisPendingWrites } from '@strata/queue/redis'
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { PostgresOrigin, type DeadWrite, type FlushJob } from '@strata/write-behind'
import hdr from 'hdr-histogram-js'
import { Redis } from 'ioredis'
import pg from 'pg'
import { median, printReport } from './lib/report.js'
import { seededRandom } from './lib/zipf.js'

/**
 * `pnpm bench write-behind`: the same writes through one Strata namespace in two write modes, in one run,
 * alternating after a warm-up, median of ROUNDS rounds:
 * - strata (write-behind): `set` acknowledged once the write is in the queue Redis' buffer (127.0.0.1:6380), flushed by
 *   the write-behind service (services/write-behind/src/main.ts, its own process as in production) in batches (BullMQ
 *   flush jobs, one version-guarded multi-row upsert per batch). The rate is
 *   writes / time until the last one is *in PostgreSQL*, not merely acknowledged; the acknowledged rate is in the table.
 * - write-through: `set` runs one version-guarded upsert against PostgreSQL before it answers.
 * Both: WRITES writes over KEYS keys (uniform), CONCURRENCY in flight, a pool of 8 PostgreSQL connections.
 * Flush lag (hdr histogram): for each key's last write of a round, from its acknowledgement to the start of the
 * transaction that wrote its row (the row's updated_at), so it slightly understates the time to commit.
 */
const WRITES = Number(process.env.BENCH_WRITES ?? 20_000)
const KEYS = 5_000
const CONCURRENCY = 64
const ROUNDS = 3

const redisUrl = process.env.STRATA_QUEUE_REDIS_URL ?? 'redis://127.0.0.1:6380'
const postgresUrl = process.env.STRATA_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5433/strata'
const run = `${Date.now().toString(36)}`
const table = `bench_wb_${run}`
const name = `bench-wb-${run}`

const pool = new pg.Pool({ connectionString: postgresUrl, max: 8 })
const origin = new PostgresOrigin({ pool: new pg.Pool({ connectionString: postgresUrl, max: 4 }), table })
await origin.ensureSchema()
// Production setting for the producer side (the gateway does the same): concurrent buffer writes share round trips.
const client = new Redis(redisUrl, { enableAutoPipelining: true })
const pending = new RedisPendingWrites({ client, name })
const jobs = new BullmqJobQueue<FlushJob>(`${name}-flush`, { url: redisUrl })
const deadLetters = new BullmqJobQueue<DeadWrite>(`${name}-dead-writes`, { url: redisUrl, retry: { attempts: 1 } })
const lag = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000, numberOfSignificantValueDigits: 3 })
const service = fork(fileURLToPath(new URL('../services/write-behind/src/main.ts', import.meta.url)), [], {
  // BENCH_WB_CPU_PROF=<dir>: the service writes a V8 CPU profile there when it stops (run the bench with --cpu-prof too).
  execArgv: ['--import', 'tsx', ...(process.env.BENCH_WB_CPU_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_WB_CPU_PROF}`])],
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  env: {
    ...process.env,
    STRATA_QUEUE_REDIS_URL: redisUrl,
    STRATA_POSTGRES_URL: postgresUrl,
    STRATA_WB_QUEUE: name,
    STRATA_WB_TABLE: table,
    STRATA_WB_PORT: '0',
    STRATA_WB_BATCH_SIZE: '1000',
    STRATA_WB_INTERVAL_MS: '10',
    STRATA_LOG_LEVEL: 'warn',
  },
})
await new Promise((resolve, reject) => {
  service.once('message', resolve)
  service.once('exit', (code) => reject(new Error(`the write-behind service exited with ${code}`)))
})

const upsert = `INSERT INTO ${table} AS t (namespace, key, value, version, updated_at) VALUES ($1, $2, $3::jsonb, $4::numeric, now())
  ON CONFLICT (namespace, key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
  WHERE t.version < EXCLUDED.version`
const behind = createCache({ queue: writeBehindQueue({ pending, maxDepth: 0, maxLagMs: 0 }), namespaces: { wb: { writeMode: 'write-behind' } } })
const through = createCache({
  namespaces: {
    wt: {
      writeMode: 'write-through',
      writer: {
        write: async (key, value, { version }) => {
          await pool.query(upsert, ['wt', key, JSON.stringify(value), String(version)])
        },
      },
    },
  },
})

async function writeAll(cache: StrataCache, namespace: string, writes: number, seed: number, acked?: Map<string, number>): Promise<number> {
  const ns = cache.namespace<{ n: number; pad: string }>(namespace)
  const random = seededRandom(seed)
  const keys = Array.from({ length: writes }, () => `user:${Math.floor(random() * KEYS)}`)
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < writes) {
        const i = next++
        await ns.set(keys[i]!, { n: i, pad: 'x'.repeat(64) })
        acked?.set(keys[i]!, Date.now())
      }
    }),
  )
  return performance.now() - started
}

async function drained(): Promise<void> {
  while ((await pending.stats(Date.now())).depth > 0) await new Promise((resolve) => setTimeout(resolve, 2))
}

async function roundWriteBehind(writes: number, seed: number): Promise<{ ack: number; flushed: number }> {
  const started = performance.now()
  const acked = new Map<string, number>()
  const ackMs = await writeAll(behind, 'wb', writes, seed, acked)
  await drained()
  const flushedMs = performance.now() - started
  const { rows } = await pool.query<{ key: string; t: string }>(`SELECT key, extract(epoch FROM updated_at) * 1000 AS t FROM ${table} WHERE namespace = 'wb'`)
  for (const row of rows) {
    const at = acked.get(row.key)
    if (at !== undefined) lag.recordValue(Math.max(1, Math.round(Number(row.t) - at)))
  }
  return { ack: writes / (ackMs / 1000), flushed: writes / (flushedMs / 1000) }
}

async function roundWriteThrough(writes: number, seed: number): Promise<number> {
  return writes / ((await writeAll(through, 'wt', writes, seed)) / 1000)
}

await roundWriteThrough(2000, 1)
await roundWriteBehind(2000, 1)
lag.reset()
const wt: number[] = []
const wbAck: number[] = []
const wbFlushed: number[] = []
for (let r = 0; r < ROUNDS; r++) {
  wt.push(await roundWriteThrough(WRITES, 100 + r))
  const wb = await roundWriteBehind(WRITES, 200 + r)
  wbAck.push(wb.ack)
  wbFlushed.push(wb.flushed)
}

const results = { strata: Math.round(median(wbFlushed)), 'write-through': Math.round(median(wt)) }
const lagP50 = lag.getValueAtPercentile(50)
const lagP99 = lag.getValueAtPercentile(99)
service.kill('SIGTERM')
await new Promise((resolve) => service.once('exit', resolve))
await behind.close()
await through.close()
await jobs.obliterate()
await deadLetters.obliterate()
await jobs.close()
await deadLetters.close()
await pending.destroy()
client.disconnect()
await pool.query(`DROP TABLE IF EXISTS ${table}`)
await pool.end()
await origin.close()

printReport({
  bench: 'write-behind',
  metric: 'writes/s acknowledged and flushed to PostgreSQL',
  unit: 'writes/s',
  higherIsBetter: true,
  results,
  table: [
    { mode: 'write-behind (strata)', 'acknowledged/s': Math.round(median(wbAck)), 'in PostgreSQL/s': results.strata, 'flush lag p50 ms': lagP50, 'flush lag p99 ms': lagP99 },
    { mode: 'write-through', 'acknowledged/s': results['write-through'], 'in PostgreSQL/s': results['write-through'] },
  ],
  env: {
    writes: WRITES,
    keys: KEYS,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    acknowledgedPerSec: Math.round(median(wbAck)),
    flushLagP50Ms: lagP50,
    flushLagP99Ms: lagP99,
    queueRedis: 'appendonly yes, appendfsync everysec (infra/redis/queue.conf)',
    postgres: 'loopback, synchronous_commit default',
  },
})
