import { parseCorsOrigins } from '@strata/security'
import { postgresServiceAuth } from '@strata/security/postgres'
import pg from 'pg'
import { hostname } from 'node:os'
import { KafkaTransport } from '@strata/bus/kafka'
import { BullmqJobQueue } from '@strata/queue/bullmq'
import { PrometheusScrapeSource, RedisAlertStore, buildAlerting, loadAlertingFile, type Alerting, type DeliveryJob } from './app.js'

// The only place that reads the environment. Exits non-zero, with the file, line and rule, when the rules are bad.
const env = (name: string, fallback: string) => process.env[name]?.trim() || fallback
const int = (name: string, fallback: number) => Number(env(name, String(fallback)))
const rulesFile = env('STRATA_ALERTING_RULES', 'alerting-rules.yaml')
const queueRedisUrl = env('STRATA_QUEUE_REDIS_URL', 'redis://127.0.0.1:6380')
const brokers = env('STRATA_KAFKA_BROKERS', '127.0.0.1:9092').split(',').map((broker) => broker.trim())
const scrapeUrls = env('STRATA_ALERTING_SCRAPE', 'http://127.0.0.1:8080/metrics').split(',').map((url) => url.trim()).filter((url) => url !== '')
const prefix = env('STRATA_PREFIX', 'strata')
const queueName = env('STRATA_ALERTING_QUEUE', 'strata-alert-webhooks')
const port = int('STRATA_ALERTING_PORT', 8095)
const host = env('STRATA_ALERTING_HOST', '127.0.0.1')
const instanceId = env('STRATA_INSTANCE_ID', `${hostname()}-${process.pid}`)
// The services' /metrics need a key with `read` on `*`.
const scrapeKey = env('STRATA_ALERTING_SCRAPE_KEY', '')
// Auth is on unless STRATA_ALERTING_AUTH=off: the gateways' API keys and audit chain, in the same PostgreSQL.
const authOn = env('STRATA_ALERTING_AUTH', 'on') !== 'off'
const postgresUrl = env('STRATA_POSTGRES_URL', 'postgres://postgres@127.0.0.1:5433/strata')

let config
try {
  config = loadAlertingFile(rulesFile)
} catch (error) {
  process.stderr.write(`alerting: not starting: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}

const deliveries = new BullmqJobQueue<DeliveryJob>(queueName, {
  url: queueRedisUrl,
  prefix,
  retry: { attempts: int('STRATA_ALERTING_RETRY_ATTEMPTS', 8), baseMs: int('STRATA_ALERTING_RETRY_BASE_MS', 1000), maxMs: int('STRATA_ALERTING_RETRY_MAX_MS', 300_000) },
  // A worker killed mid-delivery: its job is handed to the next worker once the lock lapses.
  lockDurationMs: int('STRATA_ALERTING_LOCK_MS', 30_000),
  stalledIntervalMs: int('STRATA_ALERTING_STALLED_INTERVAL_MS', 15_000),
  onDeadLetter: (letter) => alerting.handleDeadLetter(letter),
})
const transport = new KafkaTransport({ brokers, clientId: `strata-alerting-${instanceId}` })
const store = new RedisAlertStore(queueRedisUrl, prefix)
const pool = authOn ? new pg.Pool({ connectionString: postgresUrl, max: 2 }) : undefined
const auth = pool === undefined ? undefined : await postgresServiceAuth({ pool, transport, source: `strata/alerting/${instanceId}` })
const alerting: Alerting = buildAlerting({
  // The web console's origin (the gateway's), e.g. http://127.0.0.1:8080; none by default.
  corsOrigins: parseCorsOrigins(process.env.STRATA_CORS_ORIGINS),
  ...(auth === undefined ? {} : { auth }),
  sources: scrapeUrls.map((url) => new PrometheusScrapeSource({ url, ...(scrapeKey === '' ? {} : { bearer: scrapeKey }) })),
  store,
  rules: config.rules,
  receivers: config.receivers,
  deliveries,
  transport,
  // Every service's strata.errors.v1 becomes alertable (error rules, the default dead-letter rule).
  errorEvents: { transport },
  intervalMs: int('STRATA_ALERTING_INTERVAL_MS', config.intervalMs ?? 15_000),
  instanceId,
  logger: true,
})

let stopping = false
async function shutdown(signal: string): Promise<void> {
  if (stopping) return
  stopping = true
  alerting.http.log.info({ signal }, 'stopping')
  await alerting.stop()
  await deliveries.close()
  await transport.close()
  await store.close()
  await pool?.end()
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))

await alerting.start()
const address = await alerting.http.listen({ port, host })
alerting.http.log.info({ rules: rulesFile, count: config.rules.length, receivers: config.receivers.length, sources: scrapeUrls, address }, 'alerting started')
// A parent process (tests, a supervisor) learns when the service is ready.
process.send?.({ ready: true, address })
