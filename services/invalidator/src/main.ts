import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { transportInvalidationBus } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { onShutdownSignals } from '@strata/service'
import { redisStore } from '@strata/core/redis'
import { loggerOptions, currentTelemetry } from '@strata/telemetry'
import { Redis } from 'ioredis'
import pg from 'pg'
import { parseCorsOrigins } from '@strata/security'
import { postgresServiceAuth } from '@strata/security/postgres'
import { RedisEventDedupe, buildInvalidator, loadRulesFile } from './app.js'

// The only place that reads the environment. Exits non-zero, with the file, line and rule, when the rules are bad.
const env = (name: string, fallback: string) => (process.env[name]?.trim() || fallback)
const brokers = env('STRATA_KAFKA_BROKERS', '127.0.0.1:9092').split(',').map((broker) => broker.trim())
const redisUrl = env('STRATA_REDIS_URL', 'redis://127.0.0.1:6379')
const rulesFile = env('STRATA_INVALIDATOR_RULES', 'invalidation-rules.yaml')
const prefix = env('STRATA_PREFIX', 'strata')
const port = Number(env('STRATA_INVALIDATOR_PORT', '8091'))
const host = env('STRATA_INVALIDATOR_HOST', '127.0.0.1')
const instanceId = env('STRATA_INSTANCE_ID', `${hostname()}-${process.pid}`)
// Auth is on unless STRATA_INVALIDATOR_AUTH=off: the same API keys (and audit chain) as the gateways, in PostgreSQL.
const authOn = env('STRATA_INVALIDATOR_AUTH', 'on') !== 'off'
const postgresUrl = env('STRATA_POSTGRES_URL', 'postgres://postgres@127.0.0.1:5433/strata')
const group = env('STRATA_INVALIDATOR_GROUP', 'strata.invalidator')

let rules
try {
  rules = loadRulesFile(rulesFile)
} catch (error) {
  process.stderr.write(`invalidator: not starting: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}

// STRATA_KAFKA_TLS=on: TLS to the brokers, with the system CAs or STRATA_KAFKA_CA_FILE.
const kafkaCa = env('STRATA_KAFKA_CA_FILE', '')
const ssl = env('STRATA_KAFKA_TLS', 'off') === 'on' ? (kafkaCa === '' ? true : { ca: [readFileSync(kafkaCa, 'utf8')] }) : undefined
const transport = new KafkaTransport({ brokers, clientId: `strata-invalidator-${instanceId}`, ...(ssl === undefined ? {} : { ssl }) })
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 })
const pool = authOn ? new pg.Pool({ connectionString: postgresUrl, max: 4 }) : undefined
const auth =
  pool === undefined
    ? undefined
    : await postgresServiceAuth({ pool, redis, transport, source: `strata/invalidator/${instanceId}`, cacheTtlMs: Number(env('STRATA_KEY_CACHE_MS', '5000')) })
const invalidator = buildInvalidator({
  // The web console's origin (the gateway's), e.g. http://127.0.0.1:8080; none by default.
  corsOrigins: parseCorsOrigins(process.env.STRATA_CORS_ORIGINS),
  transport,
  l2: redisStore({ url: redisUrl }),
  publisher: transportInvalidationBus(transport, { instanceId, source: `strata/invalidator/${instanceId}` }),
  rules,
  dedupe: new RedisEventDedupe(redis, prefix),
  prefix,
  group,
  instanceId,
  logger: loggerOptions('strata-invalidator', { level: env('LOG_LEVEL', 'info') }),
  ...(auth === undefined ? {} : { auth }),
})

onShutdownSignals(async () => {
  await invalidator.stop()
  await transport.close()
  redis.disconnect()
  await pool?.end()
  await currentTelemetry()?.shutdown()
}, (message, error) => (error === undefined ? invalidator.http.log.info(message) : invalidator.http.log.error({ err: error }, message)))

await invalidator.start()
await invalidator.http.listen({ port, host })
invalidator.http.log.info({ rules: rulesFile, topics: rules.topics, schedules: rules.schedules.length }, 'invalidator started')
