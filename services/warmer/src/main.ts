import { ErrorEventPublisher } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { instanceIdOf, kafkaClientSettings, listenOrExplain, loadServiceConfig } from '@strata/config'
import { createL2Store } from '@strata/config/l2'
import { createCache, isStrataError } from '@strata/core'
import { createDbCache } from '@strata/db-cache'
import { postgresServiceAuth } from '@strata/security/postgres'
import pg from 'pg'
import { BullmqWarmScheduler, buildWarmer } from './app.js'
import { WarmProgress } from './http/warm-progress.js'
import { buildWarmerServer } from './http/warmer-server.js'
import { httpLoader, loadPlanFile } from './plan-loader.js'

// Configuration (@strata/config: the shared l2 and kafka sections, `warmer`) and wiring. Exits non-zero, naming the
// file and the problem, when the plan is bad.
const { config, warnings } = loadServiceConfig('warmer')
const settings = config.warmer
const instanceId = instanceIdOf(config)
const log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), service: 'warmer', msg: message, ...fields })}\n`)

for (const warning of warnings) log('warn', warning)
// The gateways' L2 (any topology) under this deployment's prefix, so what is warmed is what they read.
// L1 bounded by bytes as well as entries: warmed values can be large (issue 22).
const cache = createCache({ prefix: config.prefix, l1: { maxEntries: 10_000, maxBytes: 128 * 1024 * 1024 }, l2: await createL2Store(config.l2) })
const transport = new KafkaTransport({ ...kafkaClientSettings(config.kafka, `warmer-${instanceId}`), log: () => undefined })
// Failed warms go to strata.errors.v1 too (analytics counts them, alerting's error rules see them).
const errors = new ErrorEventPublisher(transport, {
  service: 'warmer',
  source: `strata/warmer/${instanceId}`,
  onPublishError: (error, dropped) => log('warn', 'error events not published (they are in this log)', { dropped, err: error instanceof Error ? error.message : String(error) }),
})
const progress = new WarmProgress()
let service
let db: ReturnType<typeof createDbCache> | undefined
try {
  const plan = loadPlanFile(settings.plan)
  // Query targets run through @strata/db-cache on postgresUrl; a plan without them opens no database pool.
  db = plan.targets.some((target) => target.kind === 'queries') ? createDbCache({ pool: new pg.Pool({ connectionString: config.postgresUrl, max: 4 }), cache }) : undefined
  service = buildWarmer({
    cache,
    ...(db === undefined ? {} : { db }),
    loaders: Object.fromEntries(Object.entries(plan.origins).map(([namespace, template]) => [namespace, httpLoader(template)])),
    targets: plan.targets,
    scheduler: new BullmqWarmScheduler({ url: config.queueRedisUrl, prefix: config.prefix }),
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
// Unless STRATA_WARMER_AUTH=off, the HTTP API takes the gateways' API keys (STRATA_KEYS_POSTGRES_URL, else postgresUrl).
const keysPool = new pg.Pool({ connectionString: config.keysPostgresUrl === '' ? config.postgresUrl : config.keysPostgresUrl, max: 2 })
keysPool.on('error', () => undefined)
const auth = settings.auth === 'off' ? undefined : await postgresServiceAuth({ secret: config.serverSecret || undefined, pool: keysPool, source: `strata/warmer/${instanceId}`, cacheTtlMs: config.keyCacheTtl })
const server = buildWarmerServer({ service: running, progress, busReady: () => transport.ping(), ...(auth === undefined ? {} : { auth }) })
let stopping = false
async function shutdown(signal: string): Promise<void> {
  if (stopping) return
  stopping = true
  log('info', 'stopping', { signal })
  await server.close()
  await running.stop()
  await errors.close()
  await transport.close()
  await db?.end()
  await cache.close()
  await keysPool.end()
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))

await running.start()
const address = await listenOrExplain('warmer', settings, () => server.listen({ host: settings.host, port: settings.port }))
process.send?.({ ready: true, address })
log('info', 'warmer started', { plan: settings.plan, address })
