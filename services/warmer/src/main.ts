import { hostname } from 'node:os'
import { ErrorEventPublisher } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { onShutdownSignals } from '@strata/service'
import { createLogger, currentTelemetry } from '@strata/telemetry'
import { createCache, isStrataError } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { createDbCache } from '@strata/db-cache'
import { postgresServiceAuth } from '@strata/security/postgres'
import pg from 'pg'
import { BullmqWarmScheduler, buildWarmer } from './app.js'
import { WarmProgress } from './http/warm-progress.js'
import { buildWarmerServer } from './http/warmer-server.js'
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
const host = env('STRATA_WARMER_HOST', '127.0.0.1')
const port = Number(env('STRATA_WARMER_PORT', '8097'))
const keysUrl = process.env.STRATA_KEYS_POSTGRES_URL?.trim() || postgresUrl || 'postgres://postgres@127.0.0.1:5433/strata'
// pino with trace ids (@strata/telemetry); the HTTP server logs through the same logger.
const logger = createLogger('strata-warmer', { level: env('STRATA_LOG_LEVEL', 'info') })
const log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => logger[level](fields ?? {}, message)

const cache = createCache({ prefix, l2: redisStore({ url: redisUrl }) })
const db = postgresUrl === undefined ? undefined : createDbCache({ pool: new pg.Pool({ connectionString: postgresUrl, max: 4 }), cache })
const transport = new KafkaTransport({ brokers, clientId: `strata-warmer-${instanceId}`, log: () => undefined })
// Failed warms go to strata.errors.v1 too (analytics counts them, alerting's error rules see them).
const errors = new ErrorEventPublisher(transport, {
  service: 'warmer',
  source: `strata/warmer/${instanceId}`,
  onPublishError: (error, dropped) => log('warn', 'error events not published (they are in this log)', { dropped, err: error instanceof Error ? error.message : String(error) }),
})
const progress = new WarmProgress()
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
    onProgress: progress.record,
    onError: (error, context) => {
      const message = error instanceof Error ? error.message : String(error)
      log('error', 'warming failed', { ...context, err: message })
      errors.report({
        code: isStrataError(error) ? error.code : 'E_WARM_FAILED',
        message: `warming '${context.target}'${context.item === undefined ? '' : ` item '${context.item}'`} failed: ${message}`,
        operation: 'warm',
        subject: context.item === undefined ? context.target : `${context.target}/${context.item}`,
      })
    },
  })
} catch (error) {
  log('error', 'not starting', { err: error instanceof Error ? error.message : String(error) })
  process.exit(1)
}

const running = service
// Unless STRATA_WARMER_AUTH=off, the HTTP API takes the gateways' API keys (STRATA_KEYS_POSTGRES_URL).
const keysPool = new pg.Pool({ connectionString: keysUrl, max: 2 })
keysPool.on('error', () => undefined)
const auth = env('STRATA_WARMER_AUTH', 'on') === 'off' ? undefined : await postgresServiceAuth({ pool: keysPool, source: `strata/warmer/${instanceId}` })
const server = buildWarmerServer({ service: running, progress, busReady: () => transport.ping(), logger, ...(auth === undefined ? {} : { auth }) })
onShutdownSignals(async () => {
  await server.close()
  await running.stop()
  await errors.close()
  await transport.close()
  await db?.end()
  await cache.close()
  await keysPool.end()
  await currentTelemetry()?.shutdown()
}, (message, error) => log(error === undefined ? 'info' : 'error', message, error === undefined ? {} : { err: error }))

await running.start()
const address = await server.listen({ host, port })
process.send?.({ ready: true, address })
log('info', 'warmer started', { plan: planFile, address })
