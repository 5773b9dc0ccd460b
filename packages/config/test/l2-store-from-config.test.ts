import { requireMemcached, requireRedis, requireRedisCluster, requireSentinel, servers, uniqueName } from '@strata/testkit'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/index.js'
import { createL2RedisClient, createL2Store } from '../src/l2/index.js'

const list = (nodes: readonly { host: string; port: number }[]) => nodes.map((node) => `${node.host}:${node.port}`).join(',')

// One factory for every service: each kind of the l2 section, from the variables alone, against the real servers.
describe('createL2Store from the l2 section', () => {
  const kinds = [
    { kind: 'memory', name: 'memory', require: () => Promise.resolve(), env: {} },
    { kind: 'redis', name: 'redis', require: requireRedis, env: { STRATA_REDIS_URL: servers.redisUrl } },
    { kind: 'redis-cluster', name: 'redis-cluster', require: requireRedisCluster, env: { STRATA_REDIS_CLUSTER_NODES: list(servers.redisClusterNodes) } },
    { kind: 'redis-sentinel', name: 'redis-sentinel', require: requireSentinel, env: { STRATA_REDIS_SENTINELS: list(servers.redisSentinels), STRATA_REDIS_SENTINEL_NAME: servers.redisSentinelName } },
    { kind: 'memcached', name: 'memcached', require: requireMemcached, env: { STRATA_MEMCACHED_SERVERS: servers.memcachedServers.join(',') } },
  ] as const

  it.each(kinds)('$kind: a working store of that kind', async ({ kind, name, require, env }) => {
    await require()
    const { l2 } = loadConfig({ env: { STRATA_L2: kind, ...env } }).config
    const store = await createL2Store(l2)
    try {
      expect(store.name).toBe(name)
      const key = uniqueName('l2-factory')
      await store.set(key, new TextEncoder().encode('v'), 10_000)
      expect(new TextDecoder().decode(await store.get(key))).toBe('v')
      await store.delete(key)
      expect(await store.get(key)).toBeUndefined()
    } finally {
      await store.disconnect()
    }
  })

  it('a Redis client beside the store for Redis kinds only (rate limits, dedupe)', async () => {
    await requireRedisCluster()
    const cluster = await createL2RedisClient(loadConfig({ env: { STRATA_L2: 'redis-cluster', STRATA_REDIS_CLUSTER_NODES: list(servers.redisClusterNodes) } }).config.l2)
    try {
      const key = uniqueName('l2-client')
      await cluster!.set(key, '1', 'PX', 10_000)
      expect(await cluster!.get(key)).toBe('1')
    } finally {
      cluster?.disconnect()
    }
    expect(await createL2RedisClient(loadConfig({ env: { STRATA_L2: 'memcached' } }).config.l2)).toBeUndefined()
    expect(await createL2RedisClient(loadConfig({ env: { STRATA_L2: 'memory' } }).config.l2)).toBeUndefined()
  })
})
