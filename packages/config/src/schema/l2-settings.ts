import { Type, type Static } from '@sinclair/typebox'
import { HostPortList, OneOf, setting } from '../setting.js'

export const L2_KINDS = ['memory', 'redis', 'redis-cluster', 'redis-sentinel', 'memcached'] as const
export type L2Kind = (typeof L2_KINDS)[number]

/**
 * The shared L2 (section `l2`): one spec for every service that touches it (gateway, invalidator, warmer), so they all
 * see the same keys. `@strata/config/l2` turns it into a store.
 */
export const L2SettingsSchema = Type.Object(
  {
    kind: setting(
      OneOf(L2_KINDS, 'redis', "'memory' is one process, nothing shared; 'redis' one server (redisUrl); 'redis-cluster' (clusterNodes); 'redis-sentinel' (sentinels + sentinelName); 'memcached' a pool (memcachedServers)"),
      { env: 'STRATA_L2', deprecatedEnv: ['STRATA_GATEWAY_L2'] },
    ),
    redisUrl: setting(Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379', description: 'Standalone Redis (kind redis)' }), { env: 'STRATA_REDIS_URL' }),
    clusterNodes: setting(HostPortList(['127.0.0.1:7000', '127.0.0.1:7001', '127.0.0.1:7002'], 'Seed nodes of the Redis Cluster (kind redis-cluster)'), { env: 'STRATA_REDIS_CLUSTER_NODES' }),
    sentinels: setting(HostPortList(['127.0.0.1:26379', '127.0.0.1:26380', '127.0.0.1:26381'], 'The Sentinel group (kind redis-sentinel)'), { env: 'STRATA_REDIS_SENTINELS' }),
    sentinelName: setting(Type.String({ minLength: 1, default: 'strata-primary', description: 'The primary the sentinels watch' }), { env: 'STRATA_REDIS_SENTINEL_NAME' }),
    redisPassword: setting(Type.String({ default: '', description: 'Password of Cluster nodes and of the Sentinel-managed primary (a standalone URL carries its own)' }), {
      env: 'STRATA_REDIS_PASSWORD',
      secret: true,
    }),
    memcachedServers: setting(HostPortList(['127.0.0.1:11211'], 'The Memcached pool, placed by a ketama ring (kind memcached)'), { env: 'STRATA_MEMCACHED_SERVERS' }),
    memcachedReplicas: setting(Type.Integer({ minimum: 1, maximum: 5, default: 1, description: 'Copies of each key on distinct Memcached servers' }), { env: 'STRATA_MEMCACHED_REPLICAS' }),
  },
  { additionalProperties: false },
)
export type L2Settings = Static<typeof L2SettingsSchema>
