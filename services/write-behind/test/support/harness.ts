import { fork, type ChildProcess } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { createCache, type StrataCache } from '@strata/core'
import { writeBehindQueue, type PendingWrites } from '@strata/queue'
import type pg from 'pg'
import { BullmqJobQueue } from '@strata/queue/bullmq'
import { RedisPendingWrites } from '@strata/queue/redis'
import type { RetryPolicy } from '@strata/queue'
import { Redis } from 'ioredis'
import { buildWriteBehind, type DeadWrite, type FlushJob, type FlushOrigin, type WriteBehindApp, type WriteBehindAppOptions, type WriteBehindErrorEvent } from '../../src/app.js'

export const NAMESPACE = 'accounts'

export interface AccountValue {
  key: string
  round: number
}

/**
 * A cache with one write-behind namespace over the given buffer: the producer side the gateway will run. `traceparent`
 * stamps every write with that W3C context, as a traced gateway's request would.
 */
export function producer(pending: PendingWrites, traceparent?: string): StrataCache {
  return createCache({
    queue: writeBehindQueue({ pending, maxDepth: 0, maxLagMs: 0, ...(traceparent === undefined ? {} : { traceparent: () => traceparent }) }),
    namespaces: { [NAMESPACE]: { writeMode: 'write-behind' } },
  })
}

/**
 * Writes `rounds` rounds over `keys` keys (each key written once per round, a round finishing before the next, so
 * each key's writes are acknowledged in order), `concurrency` writes in flight. A write that fails is retried until
 * acknowledged (a Redis restart), so `acknowledged` ends with every key's last acknowledged value. `between(round)`
 * runs after each round.
 */
export async function writeRounds(
  cache: StrataCache,
  options: { keys: number; rounds: number; concurrency: number; between?: (round: number) => Promise<void> | void },
): Promise<{ acknowledged: Map<string, AccountValue>; writes: number; retried: number }> {
  const accounts = cache.namespace<AccountValue>(NAMESPACE)
  const acknowledged = new Map<string, AccountValue>()
  let writes = 0
  let retried = 0
  for (let round = 0; round < options.rounds; round++) {
    let next = 0
    const lane = async (): Promise<void> => {
      while (next < options.keys) {
        const key = `k${next++}`
        const value = { key, round }
        for (;;) {
          try {
            await accounts.set(key, value)
            break
          } catch {
            retried++
            await sleep(25)
          }
        }
        acknowledged.set(key, value)
        writes++
      }
    }
    await Promise.all(Array.from({ length: options.concurrency }, lane))
    await options.between?.(round)
  }
  return { acknowledged, writes, retried }
}

export async function tableRows(pool: pg.Pool, table: string): Promise<Map<string, AccountValue>> {
  const { rows } = await pool.query<{ key: string; value: AccountValue }>(`SELECT key, value FROM ${table} WHERE namespace = $1`, [NAMESPACE])
  return new Map(rows.map((row) => [row.key, row.value]))
}

/** Keys whose row is not exactly the last acknowledged value (empty when the origin is right). */
export function mismatches(acknowledged: Map<string, AccountValue>, rows: Map<string, AccountValue>): string[] {
  const wrong: string[] = []
  for (const [key, value] of acknowledged) {
    const row = rows.get(key)
    if (row?.round !== value.round || row.key !== key) wrong.push(key)
  }
  return wrong
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(50)
  }
}

export function tableName(unique: string): string {
  return unique.replace(/[^a-z0-9_]/g, '_')
}

/** The service built in-process from app.ts over the given queue Redis and origin, with test-sized timings. */
export function startApp(options: {
  redisUrl: string
  name: string
  origin: FlushOrigin
  retry?: Partial<RetryPolicy>
  onError?: (event: WriteBehindErrorEvent) => void
  auth?: WriteBehindAppOptions['auth']
}): { app: WriteBehindApp; pending: RedisPendingWrites; dispose(): Promise<void> } {
  const client = new Redis(options.redisUrl, { maxRetriesPerRequest: null })
  client.on('error', () => undefined)
  const pending = new RedisPendingWrites({ client, name: options.name })
  const jobs = new BullmqJobQueue<FlushJob>(`${options.name}-flush`, {
    url: options.redisUrl,
    retry: options.retry ?? { attempts: 10, baseMs: 100, maxMs: 1000 },
    lockDurationMs: 2000,
    stalledIntervalMs: 1000,
  })
  const deadLetters = new BullmqJobQueue<DeadWrite>(`${options.name}-dead-writes`, { url: options.redisUrl, retry: { attempts: 1 } })
  const app = buildWriteBehind({
    name: options.name,
    pending,
    jobs,
    deadLetters,
    origin: options.origin,
    batchSize: 500,
    intervalMs: 20,
    leaseMs: 4000,
    ...(options.onError === undefined ? {} : { onError: options.onError }),
    ...(options.auth === undefined ? {} : { auth: options.auth }),
  })
  app.start()
  return {
    app,
    pending,
    async dispose() {
      await jobs.obliterate().catch(() => undefined)
      await deadLetters.obliterate().catch(() => undefined)
      await pending.destroy().catch(() => undefined)
      await app.stop()
      client.disconnect()
    },
  }
}

/**
 * The real service (src/main.ts) as its own process flushing buffer `name` into PostgreSQL table `table`, with short
 * lock and lease times so recovery after a kill is quick. Resolves once it reports ready.
 */
export async function startFlusherProcess(options: { redisUrl: string; postgresUrl: string; name: string; table: string; env?: Record<string, string> }): Promise<ChildProcess> {
  const child = fork(fileURLToPath(new URL('../../src/main.ts', import.meta.url)), [], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {
      ...process.env,
      STRATA_QUEUE_REDIS_URL: options.redisUrl,
      STRATA_POSTGRES_URL: options.postgresUrl,
      STRATA_WB_QUEUE: options.name,
      STRATA_WB_TABLE: options.table,
      STRATA_WB_PORT: '0',
      STRATA_WB_BATCH_SIZE: '500',
      STRATA_WB_INTERVAL_MS: '20',
      STRATA_WB_LOCK_MS: '2000',
      STRATA_WB_STALLED_INTERVAL_MS: '1000',
      STRATA_WB_LEASE_MS: '4000',
      STRATA_LOG_LEVEL: 'warn',
      ...options.env,
    },
  })
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve())
    child.once('exit', (code) => reject(new Error(`the flusher exited with ${code} before it was ready`)))
  })
  return child
}
