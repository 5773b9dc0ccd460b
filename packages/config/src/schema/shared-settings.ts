import { Type } from '@sinclair/typebox'
import { Duration } from '../duration.js'
import { OneOf, setting } from '../setting.js'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** Settings every service reads the same way (top level of the file). */
export const sharedSettings = {
  prefix: setting(
    Type.String({
      pattern: '^[A-Za-z0-9_.-]{1,64}$',
      default: 'strata',
      description:
        "This deployment's key prefix in every shared store (L2 values and tags, the namespace registry, event dedupe, rate-limit buckets, alerts): two deployments sharing a Redis or Memcached use different prefixes",
    }),
    { env: 'STRATA_PREFIX' },
  ),
  logLevel: setting(OneOf(LOG_LEVELS, 'info', 'pino level of every service'), { env: 'STRATA_LOG_LEVEL', deprecatedEnv: ['LOG_LEVEL'] }),
  instanceId: setting(Type.String({ pattern: '^[A-Za-z0-9_.:-]{0,128}$', default: '', description: "This process in logs, Kafka client ids and audit rows ('' = <hostname>-<pid>)" }), {
    env: 'STRATA_INSTANCE_ID',
  }),
  postgresUrl: setting(Type.String({ pattern: '^postgres(ql)?://', default: 'postgres://postgres@127.0.0.1:5433/strata', description: 'API keys, audit log, write-behind origin, analytics rollups, db-cache' }), {
    env: 'STRATA_POSTGRES_URL',
  }),
  keysPostgresUrl: setting(Type.String({ pattern: '^$|^postgres(ql)?://', default: '', description: "Where the API keys live when not in postgresUrl (warmer, cdc); '' = postgresUrl" }), {
    env: 'STRATA_KEYS_POSTGRES_URL',
  }),
  queueRedisUrl: setting(Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6380', description: 'The queue Redis (appendonly yes): write-behind buffer, BullMQ jobs, alerts' }), {
    env: 'STRATA_QUEUE_REDIS_URL',
  }),
  fastInvalidation: setting(
    OneOf(
      ['off', 'redis'],
      'off',
      "'redis': every invalidation also goes over Redis pub/sub on the L2's Redis (an l2 kind redis, redis-sentinel or redis-cluster) beside Kafka, so L1s drop it within a Redis round trip; best effort, the guarantees stay on Kafka. The gateway uses it with bus kafka",
    ),
    { env: 'STRATA_FAST_INVALIDATION' },
  ),
  keyCacheTtl: setting(Duration({ default: 5_000, description: 'How long a verified API key is trusted from memory (bound on revocation delay)' }), { env: 'STRATA_KEY_CACHE_MS' }),
  serverSecret: setting(Type.String({ default: '', description: 'Keys API key hashes (HMAC-SHA-256) and hashKeys key hashes; the same on every service sharing the key store' }), {
    env: 'STRATA_SERVER_SECRET',
    secret: true,
  }),
  // Decoded to origins (`http://host:port`, no path or trailing slash), the form CORS compares.
  corsOrigins: setting(
    Type.Transform(Type.Array(Type.String({ pattern: '^https?://[^\\s/]+(/\\S*)?$' }), { default: [], description: "Origins the web console calls the services' APIs from (the gateway's)" }))
      .Decode((origins) => origins.map((origin) => new URL(origin).origin))
      .Encode((origins) => origins),
    { env: 'STRATA_CORS_ORIGINS' },
  ),
}
