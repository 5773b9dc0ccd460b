import { instanceIdOf, kafkaClientSettings, listenOrExplain, loadServiceConfig } from '@strata/config'
import { postgresServiceAuth } from '@strata/security/postgres'
import pg from 'pg'
import { KafkaTransport } from '@strata/bus/kafka'
import { onShutdownSignals } from '@strata/service'
import { BullmqJobQueue } from '@strata/queue/bullmq'
import { createLogger } from '@strata/telemetry'
import { PrometheusScrapeSource, RedisAlertStore, buildAlerting, loadAlertingFile, type Alerting, type DeliveryJob } from './app.js'

// Configuration (@strata/config: shared settings, kafka, `alerting`) and wiring. Exits non-zero, with the file, line
// and rule, when the rules are bad.
const { config: settingsOf, warnings } = loadServiceConfig('alerting')
const settings = settingsOf.alerting
const prefix = settingsOf.prefix
const instanceId = instanceIdOf(settingsOf)
// pino with trace ids (@strata/telemetry) at STRATA_LOG_LEVEL; the HTTP server logs through the same logger.
const logger = createLogger('strata-alerting', { level: settingsOf.logLevel })

let config
try {
  config = loadAlertingFile(settings.rules)
} catch (error) {
  // Like a configuration error (loadServiceConfig): one plain line on stderr, before the service runs.
  process.stderr.write(`alerting: not starting: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}

const deliveries = new BullmqJobQueue<DeliveryJob>(settings.queue, {
  url: settingsOf.queueRedisUrl,
  prefix,
  retry: { attempts: settings.retryAttempts, baseMs: settings.retryBase, maxMs: settings.retryMax },
  // A worker killed mid-delivery: its job is handed to the next worker once the lock lapses.
  lockDurationMs: settings.lock,
  stalledIntervalMs: settings.stalledInterval,
  onDeadLetter: (letter) => alerting.handleDeadLetter(letter),
})
const transport = new KafkaTransport(kafkaClientSettings(settingsOf.kafka, `alerting-${instanceId}`))
const store = new RedisAlertStore(settingsOf.queueRedisUrl, prefix)
const pool = settings.auth === 'on' ? new pg.Pool({ connectionString: settingsOf.postgresUrl, max: 2 }) : undefined
const auth = pool === undefined ? undefined : await postgresServiceAuth({ secret: settingsOf.serverSecret || undefined, pool, transport, source: `strata/alerting/${instanceId}`, cacheTtlMs: settingsOf.keyCacheTtl })
const alerting: Alerting = buildAlerting({
  // The web console's origin (the gateway's), e.g. http://127.0.0.1:8080; none by default.
  corsOrigins: settingsOf.corsOrigins,
  ...(auth === undefined ? {} : { auth }),
  sources: settings.scrape.map((url) => new PrometheusScrapeSource({ url, ...(settings.scrapeKey === '' ? {} : { bearer: settings.scrapeKey }) })),
  store,
  rules: config.rules,
  receivers: config.receivers,
  deliveries,
  transport,
  // Every service's strata.errors.v1 becomes alertable (error rules, the default dead-letter rule).
  errorEvents: { transport, topic: settings.errorsTopic },
  // Every service's audited actions on strata.audit.v1 become alertable (template audit-events).
  auditEvents: { transport, topic: settings.auditTopic },
  intervalMs: settings.interval ?? config.intervalMs ?? 15_000,
  instanceId,
  logger,
})
for (const warning of warnings) alerting.http.log.warn(warning)

onShutdownSignals(async () => {
  await alerting.stop()
  await deliveries.close()
  await transport.close()
  await store.close()
  await pool?.end()
}, (message, error) => (error === undefined ? alerting.http.log.info(message) : alerting.http.log.error({ err: error }, message)))

await alerting.start()
const address = await listenOrExplain('alerting', settings, () => alerting.http.listen({ port: settings.port, host: settings.host }))
alerting.http.log.info({ rules: settings.rules, count: config.rules.length, receivers: config.receivers.length, sources: settings.scrape, address }, 'alerting started')
// A parent process (tests, a supervisor) learns when the service is ready.
process.send?.({ ready: true, address })
