import { randomUUID } from 'node:crypto'
import { pino } from 'pino'
import { transportInvalidationBus } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { LocalInvalidationBus, createCache, memoryStore, type InvalidationBus, type L2Store } from '@strata/core'
import { redisStore } from '@strata/core/redis'
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
 * - queue: the Redis write-behind buffer from packages/queue (`writeBehindQueue` + `RedisPendingWrites`) is the
 *   durable choice; this entry point still wires the in-process queue (open work, issue 6).
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
const queue = new InProcessWriteBehindQueue((writes) => late.registry!.flush(writes), {
  onError: (error, writes) => logger.error({ err: error, writes: writes.length }, 'write-behind flush failed; will retry'),
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
})
await gateway.app.listen({ host: config.host, port: config.port })

onShutdownSignals(
  async () => {
    // Readiness fails first so the load balancer stops routing here; then in-flight requests finish and we close.
    gateway.drain()
    await new Promise((resolve) => setTimeout(resolve, config.drainDelayMs))
    await gateway.close()
    await queue.close()
    registry.close()
    await cache.close()
    await kafka?.close()
  },
  (message) => logger.info(message),
)
