import { createLogger, currentTelemetry, loggerOptions } from '@strata/telemetry'
import { TOPICS } from '@strata/bus'
import pg from 'pg'
import { RollupStore, buildAnalytics } from './app.js'

// The only place the analytics service reads the environment.
const env = (name: string, fallback: string): string => process.env[name]?.trim() || fallback
const logLevel = env('LOG_LEVEL', 'info')
const log = createLogger('strata-analytics', { level: logLevel })
const pool = new pg.Pool({ connectionString: env('STRATA_POSTGRES_URL', 'postgres://postgres@127.0.0.1:5433/strata'), max: 4 })
pool.on('error', (error) => log.warn({ err: error }, 'postgres pool error'))

const analytics = buildAnalytics({
  store: new RollupStore(pool, env('STRATA_ANALYTICS_SCHEMA', 'strata_analytics')),
  kafka: { brokers: env('STRATA_KAFKA_BROKERS', '127.0.0.1:9092').split(',').map((broker) => broker.trim()), group: env('STRATA_ANALYTICS_GROUP', 'strata.analytics'),
    topics: {
      access: env('STRATA_ANALYTICS_ACCESS_TOPIC', TOPICS.access),
      invalidations: env('STRATA_ANALYTICS_INVALIDATIONS_TOPIC', TOPICS.invalidations),
      errors: env('STRATA_ANALYTICS_ERRORS_TOPIC', TOPICS.errors),
    },
  },
  flushIntervalMs: Number(env('STRATA_ANALYTICS_FLUSH_MS', '1000')),
  logger: loggerOptions('strata-analytics', { level: logLevel }),
})

let stopping = false
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'stopping: writing what was consumed')
    analytics
      .stop()
      .then(() => pool.end())
      .then(() => currentTelemetry()?.shutdown())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'analytics shutdown failed')
          process.exit(1)
        },
      )
  })
}

await analytics.start()
const address = await analytics.http.listen({ host: env('STRATA_ANALYTICS_HOST', '127.0.0.1'), port: Number(env('STRATA_ANALYTICS_PORT', '8094')) })
log.info({ address }, 'analytics started')
process.send?.({ ready: true, address })
