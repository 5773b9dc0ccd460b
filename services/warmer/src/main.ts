import { hostname } from 'node:os'
import { KafkaTransport } from '@strata/bus/kafka'
import { createCache } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { createDbCache } from '@strata/db-cache'
import pg from 'pg'
import { BullmqWarmScheduler, buildWarmer } from './app.js'
import { httpLoader, loadPlanFile } from './plan-loader.js'

// The only place that reads the environment. Exits non-zero, naming the file and the problem, when the plan is bad.
const env = (name: string, fallback: string) => process.env[name]?.trim() || fallback
const planFile = env('STRATA_WARMER_PLAN', 'warm-plan.yaml')
const brokers = env('STRATA_KAFKA_BROKERS', '127.0.0.1:9092').split(',').map((broker) => broker.trim())
const redisUrl = env('STRATA_REDIS_URL', 'redis://127.0.0.1:6379')
const queueRedisUrl = env('STRATA_QUEUE_REDIS_URL', 'redis://127.0.0.1:6380')
const postgresUrl = process.env.STRATA_POSTGRES_URL?.trim()
const prefix = env('STRATA_PREFIX', 'strata')
const instanceId = env('STRATA_INSTANCE_ID', `${hostname()}-${process.pid}`)
const log = (level: 'info' | 'error', message: string, fields?: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), service: 'warmer', msg: message, ...fields })}\n`)

const cache = createCache({ prefix, l2: redisStore({ url: redisUrl }) })
const db = postgresUrl === undefined ? undefined : createDbCache({ pool: new pg.Pool({ connectionString: postgresUrl, max: 4 }), cache })
const transport = new KafkaTransport({ brokers, clientId: `strata-warmer-${instanceId}`, log: () => undefined })
let service
try {
  const plan = loadPlanFile(planFile)
  service = buildWarmer({
    cache,
    ...(db === undefined ? {} : { db }),
    loaders: Object.fromEntries(Object.entries(plan.origins).map(([namespace, template]) => [namespace, httpLoader(template)])),
    targets: plan.targets,
    scheduler: new BullmqWarmScheduler({ url: queueRedisUrl }),
    rate: plan.rate,
    transport,
    instanceId,
    onError: (error, context) => log('error', 'warming failed', { ...context, err: error instanceof Error ? error.message : String(error) }),
  })
} catch (error) {
  log('error', 'not starting', { err: error instanceof Error ? error.message : String(error) })
  process.exit(1)
}

const running = service
let stopping = false
async function shutdown(signal: string): Promise<void> {
  if (stopping) return
  stopping = true
  log('info', 'stopping', { signal })
  await running.stop()
  await transport.close()
  await db?.end()
  await cache.close()
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))

await running.start()
log('info', 'warmer started', { plan: planFile })
