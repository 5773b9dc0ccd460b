import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { transportInvalidationBus } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { LocalInvalidationBus, createCache, memoryStore, type InvalidationBus, type L2Store, type WriteBehindQueue } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { writeBehindQueue } from '@strata/queue'
import { RedisPendingWrites } from '@strata/queue/redis'
import { buildGateway } from './app.js'
import { readGatewayConfig } from './config/gateway-config.js'
import { NamespaceRegistry } from './namespaces/namespace-registry.js'
import { onShutdownSignals } from './shutdown.js'
import { InProcessWriteBehindQueue } from './write-behind/in-process-queue.js'

/**
 * The production entry point: configuration (defaults, the STRATA_CONFIG_FILE YAML/JSON file, then the environment;
 * see @strata/config and `strata config explain`), real adapters, graceful shutdown.
 *
 * - bus: STRATA_GATEWAY_BUS=kafka follows and publishes invalidations on Kafka (one broadcast group per instance on
 *   `strata.invalidations.v1`), so every gateway's L1 drops what any instance or the invalidator invalidated.
 * - queue: STRATA_GATEWAY_QUEUE=redis (the default) puts write-behind writes in the durable Redis buffer
 *   (`writeBehindQueue` + `RedisPendingWrites` on STRATA_QUEUE_REDIS_URL) that services/write-behind flushes to the
 *   origin; a write is acknowledged once Redis has it. `memory` flushes from this process to each namespace's origin.
 */
const { config } = readGatewayConfig()
const logger = pino({ level: config.logLevel })

const l2: L2Store = config.l2 === 'redis' ? redisStore({ url: config.redisUrl }) : memoryStore()
const kafka = config.bus === 'kafka' ? new KafkaTransport({ brokers: config.kafkaBrokers, clientId: 'strata-gateway' }) : undefined
const bus: InvalidationBus | undefined =
  kafka !== undefined
    ? transportInvalidationBus(kafka, { instanceId: randomUUID(), source: 'strata/gateway' })
    : config.bus === 'local'
      ? new LocalInvalidationBus()
      : undefined
const late: { registry?: NamespaceRegistry } = {}
const queueClient = config.queue === 'redis' ? new Redis(config.queueRedisUrl, { maxRetriesPerRequest: 1 }) : undefined
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
        pending: new RedisPendingWrites({ client: queueClient, name: config.writeBehindBuffer }),
        maxDepth: config.writeBehindMaxDepth,
        maxLagMs: config.writeBehindMaxLagMs,
        policy: config.writeBehindPolicy,
        blockTimeoutMs: config.writeBehindBlockTimeoutMs,
        retryAfterMs: config.writeBehindRetryAfterMs,
      })
const cache = createCache({ l2, ...(bus === undefined ? {} : { bus }), queue })
cache.on('error', (event) => logger.warn({ namespace: event.namespace, operation: event.operation, code: event.error.code }, event.error.message))
const registry = (late.registry = new NamespaceRegistry(cache))
await registry.start(config.namespaces)

const gateway = await buildGateway({
  cache,
  registry,
  upstreams: config.upstreams,
  logger,
  limits: { bodyLimit: config.bodyLimit, maxHeaderSize: config.maxHeaderSize },
  checks: {
    ...(queueClient === undefined ? {} : { queue: async () => (await queueClient.ping()) === 'PONG' }),
    ...(kafka === undefined ? {} : { bus: () => kafka.ping() }),
  },
})
await gateway.app.listen({ host: config.host, port: config.port })

onShutdownSignals(
  async () => {
    // Readiness fails first so the load balancer stops routing here; then in-flight requests finish and we close.
    gateway.drain()
    await new Promise((resolve) => setTimeout(resolve, config.drainDelayMs))
    await gateway.close()
    await inProcessQueue?.close()
    queueClient?.disconnect()
    registry.close()
    await cache.close()
    await kafka?.close()
  },
  (message) => logger.info(message),
)
