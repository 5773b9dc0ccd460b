import { ErrorEventPublisher } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { instanceIdOf, kafkaClientSettings, listenOrExplain, loadServiceConfig } from '@strata/config'
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

// Configuration (@strata/config: shared settings, kafka, `writeBehind`) and wiring.
const { config, warnings } = loadServiceConfig('write-behind')
const settings = config.writeBehind
const redisUrl = config.queueRedisUrl
const name = settings.queue
const retry = { attempts: settings.attempts, baseMs: settings.backoff, maxMs: settings.backoffMax }
const bullmq = { url: redisUrl, lockDurationMs: settings.lock, stalledIntervalMs: settings.stalledInterval }

const pool = new pg.Pool({
  connectionString: config.postgresUrl,
  max: settings.pgPool,
  statement_timeout: settings.statementTimeout,
  connectionTimeoutMillis: 5_000,
})
pool.on('error', () => undefined)

let origin: FlushOrigin
if (settings.origin === 'http') {
  origin = new HttpOrigin({ baseUrl: settings.httpOriginUrl })
} else {
  const postgres = new PostgresOrigin({ pool, table: settings.table })
  await postgres.ensureSchema()
  origin = postgres
}

const instance = instanceIdOf(config)

// Auth is on unless STRATA_WB_AUTH=off: the gateways' API keys and audit chain, in the same PostgreSQL.
const auth =
  settings.auth === 'off' ? undefined : await postgresServiceAuth({ secret: config.serverSecret || undefined, pool, source: `strata/write-behind/${instance}`, cacheTtlMs: config.keyCacheTtl })

// Dead writes go to strata.errors.v1 (analytics counts them, alerting's error rules see them).
const errorBus = new KafkaTransport({ ...kafkaClientSettings(config.kafka, `write-behind-${instance}`), log: () => undefined })
const errors = new ErrorEventPublisher(errorBus, {
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
  batchSize: settings.batchSize,
  intervalMs: settings.interval,
  concurrency: settings.concurrency,
  leaseMs: settings.lease,
  logger: loggerOptions('strata-write-behind', { level: config.logLevel }),
  onError: (event) => {
    app.server.log.error({ event }, event.message)
    errors.report(deadWriteReport(event))
  },
})
for (const warning of warnings) app.server.log.warn(warning)

app.flusher.on('dispatch-error', (error) => app.server.log.warn({ err: error }, 'write-behind dispatch failed; retrying'))
app.start()
const address = await listenOrExplain('write-behind', settings, () => app.server.listen({ host: settings.host, port: settings.port }))
process.send?.({ ready: true, address })

let stopping = false
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) return
    stopping = true
    app.server.log.info(`${signal}: finishing the current batches`)
    app
      .stop()
      .then(() => errors.close())
      .then(() => errorBus.close())
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
