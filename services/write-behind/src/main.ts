import { hostname } from 'node:os'
import { ErrorEventPublisher } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { RedisPendingWrites } from '@strata/queue/redis'
import { postgresServiceAuth } from '@strata/security/postgres'
import { BullmqJobQueue } from '@strata/queue/bullmq'
import { currentTelemetry, loggerOptions } from '@strata/telemetry'
import { Redis } from 'ioredis'
import pg from 'pg'
import { buildWriteBehind, deadWriteReport, type DeadWrite, type FlushJob } from './app.js'
import { HttpOrigin } from './origins/http-origin.js'
import { PostgresOrigin } from './origins/postgres-origin.js'
import type { FlushOrigin } from './origins/flush-origin.js'

// The only place the write-behind service reads the environment.
const env = (name: string, fallback: string): string => {
  const value = process.env[name]?.trim()
  return value === undefined || value === '' ? fallback : value
}
const num = (name: string, fallback: number): number => {
  const value = Number(env(name, String(fallback)))
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number`)
  return value
}

const redisUrl = env('STRATA_QUEUE_REDIS_URL', 'redis://127.0.0.1:6380')
const name = env('STRATA_WB_QUEUE', 'write-behind')
const retry = { attempts: num('STRATA_WB_ATTEMPTS', 20), baseMs: num('STRATA_WB_BACKOFF_MS', 250), maxMs: num('STRATA_WB_BACKOFF_MAX_MS', 10_000) }
const bullmq = {
  url: redisUrl,
  lockDurationMs: num('STRATA_WB_LOCK_MS', 30_000),
  stalledIntervalMs: num('STRATA_WB_STALLED_INTERVAL_MS', 15_000),
}

const pool = new pg.Pool({
  connectionString: env('STRATA_POSTGRES_URL', 'postgres://postgres@127.0.0.1:5433/strata'),
  max: num('STRATA_WB_PG_POOL', 4),
  statement_timeout: num('STRATA_WB_STATEMENT_TIMEOUT_MS', 10_000),
  connectionTimeoutMillis: 5_000,
})
pool.on('error', () => undefined)

let origin: FlushOrigin
if (env('STRATA_WB_ORIGIN', 'postgres') === 'http') {
  origin = new HttpOrigin({ baseUrl: env('STRATA_WB_HTTP_ORIGIN_URL', 'http://127.0.0.1:8080/writes') })
} else {
  const postgres = new PostgresOrigin({ pool, table: env('STRATA_WB_TABLE', 'strata_write_behind') })
  await postgres.ensureSchema()
  origin = postgres
}

const instance = `${hostname()}-${process.pid}`

// Auth is on unless STRATA_WB_AUTH=off: the gateways' API keys and audit chain, in the same PostgreSQL.
const auth =
  env('STRATA_WB_AUTH', 'on') === 'off'
    ? undefined
    : await postgresServiceAuth({ secret: process.env.STRATA_SERVER_SECRET || undefined, pool, source: `strata/write-behind/${instance}`, cacheTtlMs: num('STRATA_KEY_CACHE_MS', 5000) })

// Dead writes go to strata.errors.v1 (analytics counts them, alerting's error rules see them) when Kafka is set.
const brokers = env('STRATA_KAFKA_BROKERS', '')
const errorBus = brokers === '' ? undefined : new KafkaTransport({ brokers: brokers.split(','), clientId: `strata-write-behind-${instance}`, log: () => undefined })
const errors = errorBus === undefined ? undefined : new ErrorEventPublisher(errorBus, {
        service: 'write-behind',
        source: `strata/write-behind/${instance}`,
        onPublishError: (error, dropped) => app.server.log.warn({ err: error, dropped }, 'error events not published (they are in this log)'),
      })

const client = new Redis(redisUrl, { maxRetriesPerRequest: null })
client.on('error', () => undefined)
const app = buildWriteBehind({
  ...(auth === undefined ? {} : { auth }),
  name,
  pending: new RedisPendingWrites({ client, name }),
  jobs: new BullmqJobQueue<FlushJob>(`${name}-flush`, { ...bullmq, retry }),
  deadLetters: new BullmqJobQueue<DeadWrite>(`${name}-dead-writes`, { url: redisUrl, retry: { attempts: 1 }, removeOnComplete: false }),
  origin,
  batchSize: num('STRATA_WB_BATCH_SIZE', 500),
  intervalMs: num('STRATA_WB_INTERVAL_MS', 100),
  concurrency: num('STRATA_WB_CONCURRENCY', 2),
  leaseMs: num('STRATA_WB_LEASE_MS', 60_000),
  logger: loggerOptions('strata-write-behind', { level: env('STRATA_LOG_LEVEL', 'info') }),
  onError: (event) => {
    app.server.log.error({ event }, event.message)
    errors?.report(deadWriteReport(event))
  },
})

app.flusher.on('dispatch-error', (error) => app.server.log.warn({ err: error }, 'write-behind dispatch failed; retrying'))
app.start()
const address = await app.server.listen({ host: env('STRATA_WB_HOST', '127.0.0.1'), port: num('STRATA_WB_PORT', 8093) })
process.send?.({ ready: true, address })

let stopping = false
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) return
    stopping = true
    app.server.log.info(`${signal}: finishing the current batches`)
    app
      .stop()
      .then(() => errors?.close())
      .then(() => errorBus?.close())
      .then(() => client.quit())
      // The PostgreSQL origin ends the pool it shares with auth; the HTTP origin leaves it to us.
      .then(() => (pool.ended ? undefined : pool.end()))
      .then(() => currentTelemetry()?.shutdown())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          app.server.log.error({ err: error }, 'write-behind shutdown failed')
          process.exit(1)
        },
      )
  })
}
