import { hostname } from 'node:os'
import { transportInvalidationBus } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { redisStore } from '@strata/core/redis'
import { loggerOptions, currentTelemetry } from '@strata/telemetry'
import { Redis } from 'ioredis'
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
const group = env('STRATA_INVALIDATOR_GROUP', 'strata.invalidator')

let rules
try {
  rules = loadRulesFile(rulesFile)
} catch (error) {
  process.stderr.write(`invalidator: not starting: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}

const transport = new KafkaTransport({ brokers, clientId: `strata-invalidator-${instanceId}` })
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 })
const invalidator = buildInvalidator({
  transport,
  l2: redisStore({ url: redisUrl }),
  publisher: transportInvalidationBus(transport, { instanceId, source: `strata/invalidator/${instanceId}` }),
  rules,
  dedupe: new RedisEventDedupe(redis, prefix),
  prefix,
  group,
  instanceId,
  logger: loggerOptions('strata-invalidator', { level: env('LOG_LEVEL', 'info') }),
})

let stopping = false
async function shutdown(signal: string): Promise<void> {
  if (stopping) return
  stopping = true
  invalidator.http.log.info({ signal }, 'stopping: letting in-flight events finish')
  await invalidator.stop()
  await transport.close()
  redis.disconnect()
  await currentTelemetry()?.shutdown()
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))

await invalidator.start()
await invalidator.http.listen({ port, host })
invalidator.http.log.info({ rules: rulesFile, topics: rules.topics, schedules: rules.schedules.length }, 'invalidator started')
