import cluster from 'node:cluster'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Redis } from 'ioredis'
import pg from 'pg'
import { ClusterIpcTransport, FanoutErrorReport, transportInvalidationBus } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { RedisInvalidationFanout, fastInvalidationChannel } from '@strata/bus/redis'
import { kafkaClientSettings, listenOrExplain } from '@strata/config'
import { createL2RedisClient, createL2Store } from '@strata/config/l2'
import { LocalInvalidationBus, createCache, createKeyring, type InvalidationBus, type WriteBehindQueue } from '@strata/core'
import { RedisInvalidationOutbox } from '@strata/core/redis'
import { writeBehindQueue } from '@strata/queue'
import { RedisPendingWrites } from '@strata/queue/redis'
import { ApiKeys, AuditTrail, Authenticator, JwtVerifier, MemoryApiKeyStore, MemoryAuditLog, MemoryRateLimiter, RedisRateLimiter, type ApiKeyStore, type AuditLog } from '@strata/security'
import { PostgresApiKeyStore, PostgresAuditLog } from '@strata/security/postgres'
import { buildGateway, type GatewayAuth } from './app.js'
import { gatewayConfigOrExit, securitySettings } from './config/gateway-config.js'
import { createLogger, currentTelemetry } from '@strata/telemetry'
import { AccessPublisher } from './access/access-publisher.js'
import { AccessSampling } from './access/access-sampling.js'
import { NamespaceRegistry } from './namespaces/namespace-registry.js'
import { LOG_REDACT_PATHS, loggableUrl } from './security/log-redaction.js'
import { KeyHasher, telemetryKey } from './namespaces/namespace-security.js'
import { onShutdownSignals } from '@strata/service'
import { InProcessWriteBehindQueue } from './write-behind/in-process-queue.js'
import { topicUse } from './topic-use.js'
import { runWorkerPrimary } from './workers/worker-primary.js'
import { currentWorkerSlot } from './workers/worker-supervisor.js'

/**
 * The production entry point: configuration (@strata/config: STRATA_CONFIG_FILE, then STRATA_* variables), real
 * adapters, graceful shutdown.
 *
 * - l2: the `l2` section (STRATA_L2: memory, redis, redis-cluster, redis-sentinel, memcached), shared with the
 *   invalidator and the warmer; every key under STRATA_PREFIX, so deployments sharing a Redis stay apart.
 * - bus: STRATA_GATEWAY_BUS=kafka follows and publishes invalidations on Kafka (one broadcast group per instance on
 *   `strata.invalidations.v1`), so every gateway's L1 drops what any instance or the invalidator invalidated; with
 *   STRATA_FAST_INVALIDATION=redis also over Redis pub/sub on the L2's Redis, faster and best effort.
 * - queue: STRATA_GATEWAY_QUEUE=redis (the default) puts write-behind writes in the durable Redis buffer
 *   (`writeBehindQueue` + `RedisPendingWrites` on STRATA_QUEUE_REDIS_URL) that services/write-behind flushes to the
 *   origin; a write is acknowledged once Redis has it. `memory` flushes from this process to each namespace's origin.
 * - workers: STRATA_GATEWAY_WORKERS=N (or auto) makes this process a node:cluster primary that runs N copies of all
 *   of the below on one port (workers/worker-primary.ts). Each worker's L1 follows the others' invalidations: over
 *   Kafka with bus kafka (a broadcast group per worker), else over this primary (ClusterIpcBroker).
 * - auth (on unless STRATA_GATEWAY_AUTH=off): API keys and the audit log in PostgreSQL, rate limits in Redis,
 *   STRATA_BOOTSTRAP_ADMIN_KEY stored as the first admin key (docs/guides/security.md).
 */
const { config, warnings } = gatewayConfigOrExit()
const settings = config.gateway
const security = securitySettings(settings)
const late: { registry?: NamespaceRegistry } = {}
const hashKeysOf = (namespace: string) => late.registry?.get(namespace)?.spec.security?.hashKeys === true
// Traces: started by `--import @strata/telemetry/register` (package.json start script); absent, the API is a no-op.
const telemetry = currentTelemetry()
// pino with trace_id/span_id on every line (@strata/telemetry), secrets redacted, hashed keys where asked.
// In a worker: its slot (1..N), which tells its log lines, answers and broadcast group apart from the other workers'.
const workerSlot = currentWorkerSlot()
const logger = createLogger('strata-gateway', {
  ...(workerSlot === undefined ? {} : { base: { worker: workerSlot } }),
  level: config.logLevel,
  redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
  serializers: {
    // Keys of hashKeys namespaces appear hashed in request logs; headers are not logged at all.
    req: (req: { method?: string; url?: string; ip?: string }) => ({
      method: req.method,
      url: loggableUrl(req.url ?? '', hashKeysOf, (key) => late.registry?.keyHasher.hash(key) ?? telemetryKey({ hashKeys: true }, key)),
      remoteAddress: req.ip,
    }),
  },
})

for (const warning of warnings) logger.warn(warning)

if (settings.workers > 1 && cluster.isPrimary) {
  const code = await runWorkerPrimary({
    workers: settings.workers,
    // Without Kafka, the workers' invalidations cross this process: each worker's L1 hears every other's deletes.
    relayInvalidations: settings.bus !== 'kafka',
    logger,
    // A worker's drain waits drainDelay, then for in-flight requests (bounded by the request timeout).
    shutdownTimeoutMs: settings.drainDelay + 30_000,
  })
  await telemetry?.shutdown()
  process.exit(code)
}

const l2 = await createL2Store(config.l2)
// Each gateway follows invalidations in a broadcast group of its own: a fresh id unless STRATA_INSTANCE_ID names one.
const instanceId = `${config.instanceId === '' ? randomUUID() : config.instanceId}${workerSlot === undefined ? '' : `-w${workerSlot}`}`
const kafka = settings.bus === 'kafka' ? new KafkaTransport(kafkaClientSettings(config.kafka, `gateway-${instanceId}`)) : undefined
// Workers without Kafka: the same invalidation events, through the primary (an L1 per worker must hear the others).
const ipc = workerSlot !== undefined && kafka === undefined ? new ClusterIpcTransport() : undefined
const busTransport = kafka ?? ipc
// A plain client on the L2's Redis beside Kafka: the invalidation outbox, and the fast fanout's publishes.
const outboxClient = kafka !== undefined ? await createL2RedisClient(config.l2) : undefined
// The fast path beside Kafka (docs/guides/invalidation.md): Kafka still carries, and vouches for, every invalidation.
const fanout =
  outboxClient !== undefined && config.fastInvalidation === 'redis'
    ? new RedisInvalidationFanout(outboxClient, { channel: fastInvalidationChannel(config.prefix, topicUse.consumed.invalidations) })
    : undefined
// Its failures never fail a request (Kafka carries every invalidation), so they are made visible: a warn, a metric.
const fanoutErrors = fanout === undefined ? undefined : new FanoutErrorReport(fanout.name, { warn: logger.warn.bind(logger) })
const bus: InvalidationBus | undefined =
  busTransport !== undefined
    ? // One topic both ways: this instance's deletes go out on it, and its L1 follows every other instance's there.
      transportInvalidationBus(busTransport, {
        instanceId,
        source: 'strata/gateway',
        topic: topicUse.consumed.invalidations,
        ...(fanout === undefined ? {} : { fanout, onFanoutError: fanoutErrors!.report }),
      })
    : settings.bus === 'local'
      ? new LocalInvalidationBus()
      : undefined
const queueClient = settings.queue === 'redis' ? new Redis(config.queueRedisUrl, { maxRetriesPerRequest: 1 }) : undefined
queueClient?.on('error', (error) => logger.warn({ err: error }, 'queue Redis unavailable'))
const inProcessQueue =
  queueClient === undefined
    ? new InProcessWriteBehindQueue((writes) => late.registry!.flush(writes), {
        onError: (error, writes) => logger.error({ err: error, writes: writes.length }, 'write-behind flush failed; will retry'),
      })
    : undefined
const queue: WriteBehindQueue =
  queueClient === undefined
    ? inProcessQueue!
    : writeBehindQueue({
        name: config.writeBehind.queue,
        pending: new RedisPendingWrites({ client: queueClient, name: config.writeBehind.queue }),
        maxDepth: settings.writeBehindMaxDepth,
        maxLagMs: settings.writeBehindMaxLag,
        policy: settings.writeBehindPolicy,
        blockTimeoutMs: settings.writeBehindBlockTimeout,
        retryAfterMs: settings.writeBehindRetryAfter,
      })
// Invalidations Kafka cannot take wait in a Redis list on the L2's Redis and are relayed once it can: a write is never
// answered 200 over a lost broadcast (docs/guides/scaling.md). One outbox per Kafka cluster: gateways of another
// cluster sharing this Redis must not relay (and remove) ours.
const outbox =
  outboxClient === undefined ? undefined : new RedisInvalidationOutbox(outboxClient, { key: `{${config.prefix}:invalidation-outbox:${config.kafka.brokers.join(',')}}` }, true)
const cache = createCache({
  prefix: config.prefix,
  l1: { maxEntries: settings.l1MaxEntries, maxBytes: settings.l1MaxBytes },
  l2,
  ...(bus === undefined ? {} : { bus }),
  ...(outbox === undefined ? {} : { outbox }),
  queue,
})
cache.on('error', (event) => logger.warn({ namespace: event.namespace, operation: event.operation, code: event.error.code }, event.error.message))
const keyring = security.encryptionKeys === undefined ? undefined : createKeyring(security.encryptionKeys.current, security.encryptionKeys.keys)
const registry = (late.registry = new NamespaceRegistry(cache, { keyring, allowedOrigins: security.allowedOrigins, keyHasher: new KeyHasher(config.serverSecret || undefined) }))
await registry.start(settings.namespaces)

const pool = settings.auth === 'on' && settings.keyStore === 'postgres' ? new pg.Pool({ connectionString: config.postgresUrl, max: 8 }) : undefined
// Rate-limit buckets live beside the L2 when it is Redis (any topology), under this deployment's prefix.
const rateRedis = settings.auth === 'on' ? await createL2RedisClient(config.l2) : undefined
let auth: GatewayAuth | undefined
if (settings.auth === 'on') {
  let store: ApiKeyStore = new MemoryApiKeyStore()
  let log: AuditLog = new MemoryAuditLog()
  if (pool !== undefined) {
    const keys = new PostgresApiKeyStore(pool)
    const audit = new PostgresAuditLog(pool)
    await keys.migrate()
    await audit.migrate()
    store = keys
    log = audit
  }
  const apiKeys = new ApiKeys(store, { cacheTtlMs: config.keyCacheTtl, secret: config.serverSecret || undefined })
  if (config.serverSecret === '' && pool !== undefined) logger.warn('STRATA_SERVER_SECRET is not set: API key hashes are not keyed with a server secret (docs/guides/security.md)')
  if (security.bootstrapAdminKey !== undefined) {
    const admin = await apiKeys.ensure(security.bootstrapAdminKey, { name: 'bootstrap admin', grants: [{ namespace: '*', scopes: ['admin'] }] })
    logger.info({ keyId: admin.id }, 'bootstrap admin key is present')
  } else if ((await apiKeys.list()).length === 0) {
    logger.warn('auth is on and no API key exists: set STRATA_BOOTSTRAP_ADMIN_KEY to create the first admin key')
  }
  auth = {
    authenticator: new Authenticator(apiKeys, security.jwt === undefined ? undefined : new JwtVerifier(security.jwt)),
    // A Cluster client serves the one-key token-bucket script like a standalone one (the key carries a hash tag).
    rateLimiter: rateRedis === undefined ? new MemoryRateLimiter() : new RedisRateLimiter(rateRedis as Redis, `${config.prefix}:ratelimit`),
    defaultRateLimit: security.rateLimit,
    audit: new AuditTrail(log, {
      transport: kafka,
      source: `strata/gateway/${instanceId}`,
      onPublishError: (error) => logger.warn({ err: error }, 'audit event not published (the row is in the audit log)'),
      onAppendError: (error, outcome, entry) =>
        logger.error({ err: error, outcome, action: entry.action }, outcome === 'queued' ? 'audit append failed; the entry waits in the retry buffer' : 'audit retry buffer full: an entry was given up'),
    }),
  }
}

// (accessEvents without bus kafka is refused by @strata/config.)
const accessConfig = settings.accessEvents
const accessEvents =
  accessConfig === undefined || kafka === undefined
    ? undefined
    : {
        sampling: new AccessSampling(accessConfig),
        publisher: new AccessPublisher(kafka, { instance: instanceId, l1MaxEntries: settings.l1MaxEntries, ...(accessConfig.topic === undefined ? {} : { topic: accessConfig.topic }), onError: (error) => logger.warn({ err: error }, 'access events batch dropped') }),
      }

const gateway = await buildGateway({
  cache,
  registry,
  upstreams: settings.upstreams,
  logger,
  limits: { bodyLimit: settings.bodyLimit, maxHeaderSize: settings.maxHeaderSize },
  ...(auth === undefined ? {} : { auth }),
  ...(security.tls === undefined ? {} : { https: { cert: readFileSync(security.tls.certFile), key: readFileSync(security.tls.keyFile), minVersion: 'TLSv1.2' as const } }),
  checks: {
    ...(queueClient === undefined ? {} : { queue: async () => (await queueClient.ping()) === 'PONG' }),
    ...(kafka === undefined ? {} : { bus: () => kafka.ping() }),
    // Ready means subscribed: until then this instance would miss invalidations.
    invalidations: () => Promise.resolve(cache.listening),
  },
  ...(accessEvents === undefined ? {} : { accessEvents }),
  // The invalidators' records join GET /v1/invalidations (the console's history), beside this instance's own.
  ...(kafka === undefined ? {} : { invalidationRecords: { transport: kafka, instanceId } }),
  l1Bounds: { maxEntries: settings.l1MaxEntries, maxBytes: settings.l1MaxBytes },
  ...(fanoutErrors === undefined ? {} : { fanoutErrors }),
  ...(workerSlot === undefined ? {} : { worker: { slot: workerSlot } }),
  console: {
    ...(settings.consoleDistDir === '' ? {} : { distDir: settings.consoleDistDir }),
    services: {
      ...(settings.consoleAlertingUrl === '' ? {} : { alerting: settings.consoleAlertingUrl }),
      ...(settings.consoleAnalyticsUrl === '' ? {} : { analytics: settings.consoleAnalyticsUrl }),
      ...(settings.consoleInvalidatorUrl === '' ? {} : { invalidator: settings.consoleInvalidatorUrl }),
    },
  },
})
// Serving before the invalidation subscription is live would answer from an L1 that misses invalidations.
await cache.ready
// Loopback unless STRATA_GATEWAY_HOST says otherwise; a taken port exits with one line naming STRATA_GATEWAY_PORT.
await listenOrExplain('gateway', settings, () => gateway.app.listen({ host: settings.host, port: settings.port }))

onShutdownSignals(
  async () => {
    // Readiness fails first so the load balancer stops routing here; then in-flight requests finish and we close.
    gateway.drain()
    await new Promise((resolve) => setTimeout(resolve, settings.drainDelay))
    await gateway.close()
    await inProcessQueue?.close()
    queueClient?.disconnect()
    registry.close()
    await cache.close()
    await kafka?.close()
    await ipc?.close()
    await pool?.end()
    rateRedis?.disconnect()
    await telemetry?.shutdown()
  },
  (message) => logger.info(message),
  // A worker drains on the SIGTERM its primary relays; Ctrl-C reaches the whole process group, the primary included.
  workerSlot === undefined ? undefined : ['SIGTERM'],
)
if (workerSlot !== undefined) process.on('SIGINT', () => undefined)
