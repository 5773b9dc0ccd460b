import { createLogger, currentTelemetry, loggerOptions } from '@strata/telemetry'
import { TOPICS } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { hostname } from 'node:os'
import { parseCorsOrigins } from '@strata/security'
import { postgresServiceAuth } from '@strata/security/postgres'
import pg from 'pg'
import { PostgresRollupStore, buildAnalytics } from './app.js'
import { KafkaLagProbe } from './resources/kafka-lag-probe.js'
import { MemcachedStatsProbe } from './resources/memcached-stats-probe.js'
import { ProcessProbe } from './resources/process-probe.js'
import { RedisInfoProbe } from './resources/redis-info-probe.js'
import type { ResourceProbe } from './resources/resource-probe.js'
import { ServiceMetricsProbe } from './resources/service-metrics-probe.js'

// The only place the analytics service reads the environment.
const env = (name: string, fallback: string): string => process.env[name]?.trim() || fallback
const logLevel = env('LOG_LEVEL', 'info')
const log = createLogger('strata-analytics', { level: logLevel })
const pool = new pg.Pool({ connectionString: env('STRATA_POSTGRES_URL', 'postgres://postgres@127.0.0.1:5433/strata'), max: 4 })
pool.on('error', (error) => log.warn({ err: error }, 'postgres pool error'))

const list = (name: string, fallback: string) => env(name, fallback).split(',').map((item) => item.trim()).filter((item) => item !== '' && item !== 'none')
const brokers = env('STRATA_KAFKA_BROKERS', '127.0.0.1:9092').split(',').map((broker) => broker.trim())
const group = env('STRATA_ANALYTICS_GROUP', 'strata.analytics')
// Resource utilisation: each list may be 'none'. STRATA_ANALYTICS_SCRAPE is name=url pairs of other services' /metrics,
// read with STRATA_ANALYTICS_SCRAPE_KEY (an API key with `read` on `*`) where they are behind auth.
const scrapeKey = process.env.STRATA_ANALYTICS_SCRAPE_KEY?.trim() || undefined
const probes: ResourceProbe[] = [
  new ProcessProbe('analytics'),
  ...list('STRATA_ANALYTICS_REDIS', env('STRATA_REDIS_URL', 'redis://127.0.0.1:6379')).map((url) => new RedisInfoProbe(`redis ${new URL(url).host}`, url)),
  ...list('STRATA_ANALYTICS_MEMCACHED', env('STRATA_MEMCACHED_SERVERS', '127.0.0.1:11211')).map((server) => {
    const [host, port] = server.split(':')
    return new MemcachedStatsProbe(`memcached ${server}`, host ?? '127.0.0.1', Number(port ?? 11211))
  }),
  new KafkaLagProbe(brokers, list('STRATA_ANALYTICS_LAG_GROUPS', `strata.invalidator,${group}`)),
  ...list('STRATA_ANALYTICS_SCRAPE', '').map((pair) => {
    const [name, url] = pair.split('=')
    return new ServiceMetricsProbe(name ?? pair, url ?? pair, 2_000, scrapeKey)
  }),
]

// Auth is on unless STRATA_ANALYTICS_AUTH=off: the gateways' API keys and audit chain, in the same PostgreSQL.
const auth =
  env('STRATA_ANALYTICS_AUTH', 'on') === 'off'
    ? undefined
    : await postgresServiceAuth({ secret: process.env.STRATA_SERVER_SECRET || undefined, pool, source: `strata/analytics/${hostname()}-${process.pid}`, cacheTtlMs: Number(env('STRATA_KEY_CACHE_MS', '5000')) })

// Hot keys go to strata.hot-keys.v1 every STRATA_ANALYTICS_HOT_KEYS_MS (0: not published), for the warmer.
const hotKeysMs = Number(env('STRATA_ANALYTICS_HOT_KEYS_MS', '60000'))
const hotKeysBus = hotKeysMs > 0 ? new KafkaTransport({ brokers, clientId: `strata-analytics-${hostname()}-${process.pid}`, log: () => undefined }) : undefined
const analytics = buildAnalytics({
  // The web console's origin (the gateway's), e.g. http://127.0.0.1:8080; none by default.
  corsOrigins: parseCorsOrigins(process.env.STRATA_CORS_ORIGINS),
  ...(auth === undefined ? {} : { auth }),
  resources: { probes, intervalMs: Number(env('STRATA_ANALYTICS_RESOURCES_MS', '15000')) },
  store: new PostgresRollupStore(pool, env('STRATA_ANALYTICS_SCHEMA', 'strata_analytics')),
  kafka: {
    brokers,
    group,
    topics: {
      access: env('STRATA_ANALYTICS_ACCESS_TOPIC', TOPICS.access),
      invalidations: env('STRATA_ANALYTICS_INVALIDATIONS_TOPIC', TOPICS.invalidations),
      errors: env('STRATA_ANALYTICS_ERRORS_TOPIC', TOPICS.errors),
    },
  },
  flushIntervalMs: Number(env('STRATA_ANALYTICS_FLUSH_MS', '1000')),
  ...(hotKeysBus === undefined
    ? {}
    : { hotKeys: { transport: hotKeysBus, intervalMs: hotKeysMs, topic: env('STRATA_ANALYTICS_HOT_KEYS_TOPIC', TOPICS.hotKeys), source: `strata/analytics/${hostname()}-${process.pid}` } }),
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
      .then(() => hotKeysBus?.close())
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
