import { randomUUID } from 'node:crypto'
import { transportInvalidationBus } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { LocalInvalidationBus, createCache, memoryStore, type InvalidationBus, type L2Store } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { createLogger, currentTelemetry } from '@strata/telemetry'
import { AccessPublisher } from './access/access-publisher.js'
import { AccessSampling } from './access/access-sampling.js'
import { buildGateway } from './app.js'
import { readConfig } from './config/env-config.js'
import { NamespaceRegistry } from './namespaces/namespace-registry.js'
import { onShutdownSignals } from './shutdown.js'
import { InProcessWriteBehindQueue } from './write-behind/in-process-queue.js'

/**
 * The production entry point: configuration from the environment, real adapters, graceful shutdown.
 *
 * - bus: STRATA_GATEWAY_BUS=kafka follows and publishes invalidations on Kafka (one broadcast group per instance on
 *   `strata.invalidations.v1`), so every gateway's L1 drops what any instance or the invalidator invalidated.
 * - queue: the Redis write-behind buffer from packages/queue (`writeBehindQueue` + `RedisPendingWrites`) is the
 *   durable choice; this entry point still wires the in-process queue (open work, issue 6).
 */
const config = readConfig()
// Traces: started by `--import @strata/telemetry/register` (package.json start script); absent, the API is a no-op.
const telemetry = currentTelemetry()
const logger = createLogger('strata-gateway', { level: config.logLevel })

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
const cache = createCache({ l1: { maxEntries: config.l1MaxEntries }, l2, ...(bus === undefined ? {} : { bus }), queue })
cache.on('error', (event) => logger.warn({ namespace: event.namespace, operation: event.operation, code: event.error.code }, event.error.message))
const registry = (late.registry = new NamespaceRegistry(cache))
await registry.start(config.namespaces)

if (config.accessEvents !== undefined && kafka === undefined) throw new Error('STRATA_GATEWAY_ACCESS_EVENTS needs STRATA_GATEWAY_BUS=kafka')
const instanceId = randomUUID()
const accessEvents =
  config.accessEvents === undefined || kafka === undefined
    ? undefined
    : {
        sampling: new AccessSampling(config.accessEvents),
        publisher: new AccessPublisher(kafka, { instance: instanceId, l1MaxEntries: config.l1MaxEntries, ...(config.accessEvents.topic === undefined ? {} : { topic: config.accessEvents.topic }), onError: (error) => logger.warn({ err: error }, 'access events batch dropped') }),
      }

const gateway = await buildGateway({
  cache,
  registry,
  upstreams: config.upstreams,
  logger,
  limits: { bodyLimit: config.bodyLimit, maxHeaderSize: config.maxHeaderSize },
  ...(telemetry === undefined ? {} : { extraMetrics: () => telemetry.prometheusText() }),
  ...(accessEvents === undefined ? {} : { accessEvents }),
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
    await telemetry?.shutdown()
  },
  (message) => logger.info(message),
)
