import { createLogger, currentTelemetry, loggerOptions } from '@strata/telemetry'
import { KafkaTransport } from '@strata/bus/kafka'
import { instanceIdOf, kafkaClientSettings, listenOrExplain, loadServiceConfig } from '@strata/config'
import { hostAndPort } from '@strata/config/l2'
import { postgresServiceAuth } from '@strata/security/postgres'
import pg from 'pg'
import { PostgresRollupStore, buildAnalytics } from './app.js'
import { KafkaLagProbe } from './resources/kafka-lag-probe.js'
import { MemcachedStatsProbe } from './resources/memcached-stats-probe.js'
import { ProcessProbe } from './resources/process-probe.js'
import { RedisInfoProbe } from './resources/redis-info-probe.js'
import type { ResourceProbe } from './resources/resource-probe.js'
import { ServiceMetricsProbe } from './resources/service-metrics-probe.js'

// Configuration (@strata/config: shared settings, l2 and kafka, `analytics`) and wiring.
const { config, warnings } = loadServiceConfig('analytics')
const settings = config.analytics
const instanceId = instanceIdOf(config)
const log = createLogger('strata-analytics', { level: config.logLevel })
for (const warning of warnings) log.warn(warning)
const pool = new pg.Pool({ connectionString: config.postgresUrl, max: 4 })
pool.on('error', (error) => log.warn({ err: error }, 'postgres pool error'))

const kafka = kafkaClientSettings(config.kafka, `analytics-${instanceId}`)
// Resource utilisation: each probe list may be 'none'; unset, l2.redisUrl and l2.memcachedServers. `scrape` is name=url pairs of
// other services' /metrics, read with scrapeKey (an API key with `read` on `*`) where they are behind auth.
const probeList = (values: readonly string[], fallback: readonly string[]) => (values.length === 0 ? fallback : values).filter((item) => item !== 'none')
const probes: ResourceProbe[] = [
  new ProcessProbe('analytics'),
  ...probeList(settings.redisProbes, [config.l2.redisUrl]).map((url) => new RedisInfoProbe(`redis ${new URL(url).host}`, url)),
  ...probeList(settings.memcachedProbes, config.l2.memcachedServers).map((server) => {
    const { host, port } = hostAndPort(server)
    return new MemcachedStatsProbe(`memcached ${server}`, host, port)
  }),
  new KafkaLagProbe(kafka.brokers, probeList(settings.lagGroups, [config.invalidator.group, settings.group]), kafka),
  ...settings.scrape.map((pair) => {
    const [name, url] = pair.split('=')
    return new ServiceMetricsProbe(name ?? pair, url ?? pair, 2_000, settings.scrapeKey === '' ? undefined : settings.scrapeKey)
  }),
]

// Auth is on unless STRATA_ANALYTICS_AUTH=off: the gateways' API keys and audit chain, in the same PostgreSQL.
const auth =
  settings.auth === 'off' ? undefined : await postgresServiceAuth({ secret: config.serverSecret || undefined, pool, source: `strata/analytics/${instanceId}`, cacheTtlMs: config.keyCacheTtl })

// Hot keys go to strata.hot-keys.v1 every hotKeysInterval (0: not published), for the warmer.
const hotKeysBus = settings.hotKeysInterval > 0 ? new KafkaTransport({ ...kafka, log: () => undefined }) : undefined
const analytics = buildAnalytics({
  // The web console's origin (the gateway's), e.g. http://127.0.0.1:8080; none by default.
  corsOrigins: config.corsOrigins,
  ...(auth === undefined ? {} : { auth }),
  resources: { probes, intervalMs: settings.resourcesInterval },
  store: new PostgresRollupStore(pool, settings.schema),
  kafka: {
    brokers: kafka.brokers,
    // TLS, SASL and timeouts of the kafka section for its own kafkajs consumer.
    client: kafka,
    group: settings.group,
    topics: { access: settings.accessTopic, invalidations: settings.invalidationsTopic, errors: settings.errorsTopic, alerts: settings.alertsTopic, warming: settings.warmingTopic },
  },
  flushIntervalMs: settings.flushInterval,
  ...(hotKeysBus === undefined
    ? {}
    : { hotKeys: { transport: hotKeysBus, intervalMs: settings.hotKeysInterval, topic: settings.hotKeysTopic, source: `strata/analytics/${instanceId}` } }),
  logger: loggerOptions('strata-analytics', { level: config.logLevel }),
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
const address = await listenOrExplain('analytics', settings, () => analytics.http.listen({ host: settings.host, port: settings.port }))
log.info({ address }, 'analytics started')
process.send?.({ ready: true, address })
