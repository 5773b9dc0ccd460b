import { FanoutErrorReport, transportInvalidationBus } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { RedisInvalidationFanout, fastInvalidationChannel } from '@strata/bus/redis'
import { instanceIdOf, kafkaClientSettings, listenOrExplain, loadServiceConfig } from '@strata/config'
import { createL2RedisClient, createL2Store } from '@strata/config/l2'
import { onShutdownSignals } from '@strata/service'
import { loggerOptions, currentTelemetry } from '@strata/telemetry'
import type { Redis } from 'ioredis'
import pg from 'pg'
import { postgresServiceAuth } from '@strata/security/postgres'
import { MemoryEventDedupe, RedisEventDedupe, buildInvalidator, loadRulesFile, type EventDedupe } from './app.js'
import { topicUse } from './topic-use.js'

// Configuration (@strata/config: the shared l2 and kafka sections, `invalidator`) and wiring. Exits non-zero, with
// the file, line and rule, when the rules are bad.
const { config, warnings } = loadServiceConfig('invalidator')
const settings = config.invalidator
const instanceId = instanceIdOf(config)

let rules
try {
  rules = loadRulesFile(settings.rules)
} catch (error) {
  process.stderr.write(`invalidator: not starting: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}

const transport = new KafkaTransport(kafkaClientSettings(config.kafka, `invalidator-${instanceId}`))
// The same L2 the gateways use (any topology), and a plain client beside it for event dedupe when it is Redis. On
// Memcached or memory, dedupe is per process (a redelivered event is then applied again: harmless, idempotent).
const l2 = await createL2Store(config.l2)
const redis = (await createL2RedisClient(config.l2, { maxRetriesPerRequest: 3 })) as Redis | undefined
const dedupe: EventDedupe = redis === undefined ? new MemoryEventDedupe() : new RedisEventDedupe(redis, config.prefix)
// STRATA_FAST_INVALIDATION=redis: each invalidation also goes over Redis pub/sub, ahead of the Kafka copy every
// guarantee rests on (docs/guides/invalidation.md). @strata/config refuses it without a Redis L2.
const fanout =
  redis !== undefined && config.fastInvalidation === 'redis'
    ? new RedisInvalidationFanout(redis, { channel: fastInvalidationChannel(config.prefix, topicUse.produced.invalidations) })
    : undefined
// Its failures never fail an invalidation (Kafka carries every one), so they are made visible: a warn, a metric. The
// HTTP app's logger exists only once the invalidator is built, so the report logs through it late.
let warn: (fields: Record<string, unknown>, message: string) => void = () => undefined
const fanoutErrors = fanout === undefined ? undefined : new FanoutErrorReport(fanout.name, { warn: (fields, message) => warn(fields, message) })
const pool = settings.auth === 'on' ? new pg.Pool({ connectionString: config.postgresUrl, max: 4 }) : undefined
const auth =
  pool === undefined
    ? undefined
    : await postgresServiceAuth({ secret: config.serverSecret || undefined, pool, ...(redis === undefined ? {} : { redis, rateLimitPrefix: `${config.prefix}:ratelimit` }), transport, source: `strata/invalidator/${instanceId}`, cacheTtlMs: config.keyCacheTtl })
const invalidator = buildInvalidator({
  // The web console's origin (the gateway's), e.g. http://127.0.0.1:8080; none by default.
  corsOrigins: config.corsOrigins,
  transport,
  l2,
  publisher: transportInvalidationBus(transport, {
    instanceId,
    source: `strata/invalidator/${instanceId}`,
    topic: topicUse.produced.invalidations,
    ...(fanout === undefined ? {} : { fanout, onFanoutError: fanoutErrors!.report }),
  }),
  ...(fanoutErrors === undefined ? {} : { fanoutErrors }),
  rules,
  dedupe,
  prefix: config.prefix,
  group: settings.group,
  instanceId,
  logger: loggerOptions('strata-invalidator', { level: config.logLevel }),
  ...(auth === undefined ? {} : { auth }),
})
warn = (fields, message) => invalidator.http.log.warn(fields, message)
for (const warning of warnings) invalidator.http.log.warn(warning)

onShutdownSignals(async () => {
  await invalidator.stop()
  await transport.close()
  redis?.disconnect()
  await pool?.end()
  await currentTelemetry()?.shutdown()
}, (message, error) => (error === undefined ? invalidator.http.log.info(message) : invalidator.http.log.error({ err: error }, message)))

await invalidator.start()
const address = await listenOrExplain('invalidator', settings, () => invalidator.http.listen({ port: settings.port, host: settings.host }))
invalidator.http.log.info({ rules: settings.rules, topics: rules.topics, schedules: rules.schedules.length, l2: l2.name, address }, 'invalidator started')
// A parent process (tests, a supervisor) learns when the service is ready.
process.send?.({ ready: true, address })
