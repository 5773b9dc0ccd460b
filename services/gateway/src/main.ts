import { pino } from 'pino'
import { LocalInvalidationBus, createCache, memoryStore, type InvalidationBus, type L2Store } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { buildGateway } from './app.js'
import { readConfig } from './config/env-config.js'
import { NamespaceRegistry } from './namespaces/namespace-registry.js'
import { onShutdownSignals } from './shutdown.js'
import { InProcessWriteBehindQueue } from './write-behind/in-process-queue.js'

/**
 * The production entry point: configuration from the environment, real adapters, graceful shutdown.
 *
 * Seams for the other services' adapters:
 * - bus: `kafkaInvalidationBus(...)` from packages/bus replaces LocalInvalidationBus (one consumer group per
 *   instance on `strata.invalidations.v1`) — set it where `bus` is chosen below.
 * - queue: the BullMQ WriteBehindQueue from packages/queue replaces InProcessWriteBehindQueue.
 */
const config = readConfig()
const logger = pino({ level: config.logLevel })

const l2: L2Store = config.l2 === 'redis' ? redisStore({ url: config.redisUrl }) : memoryStore()
const bus: InvalidationBus | undefined = config.bus === 'local' ? new LocalInvalidationBus() : undefined
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
  },
  (message) => logger.info(message),
)
