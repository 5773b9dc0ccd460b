import { memoryStore, type L2Store } from '@strata/core'
import type { Cluster, Redis } from 'ioredis'
import type { L2Settings } from '../schema/l2-settings.js'

/** `host:port` as ioredis wants it. */
export function hostAndPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':')
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) }
}

/**
 * The L2 store the `l2` section describes: memory, Redis, Redis Cluster, Redis via Sentinel or a Memcached pool, the
 * same way for every service. The drivers load lazily (ioredis or memcached only for the kind that needs it), as
 * core's subpath drivers do.
 */
export async function createL2Store(l2: L2Settings): Promise<L2Store> {
  switch (l2.kind) {
    case 'memory':
      return memoryStore()
    case 'memcached': {
      const { memcachedStore } = await import('@strata/core/memcached')
      return memcachedStore({ servers: l2.memcachedServers, replicas: l2.memcachedReplicas })
    }
    case 'redis': {
      const { redisStore } = await import('@strata/core/redis')
      return redisStore({ url: l2.redisUrl })
    }
    case 'redis-cluster': {
      const { redisStore } = await import('@strata/core/redis')
      return redisStore({ clusterNodes: l2.clusterNodes.map(hostAndPort), ...(l2.redisPassword === '' ? {} : { cluster: { redisOptions: { password: l2.redisPassword } } }) })
    }
    case 'redis-sentinel': {
      const { redisStore } = await import('@strata/core/redis')
      return redisStore({ sentinels: l2.sentinels.map(hostAndPort), name: l2.sentinelName, ...(l2.redisPassword === '' ? {} : { redis: { password: l2.redisPassword } }) })
    }
  }
}

/**
 * A plain ioredis client on the L2's Redis (standalone, Cluster or the Sentinel primary) for what lives beside the
 * cache entries (rate-limit buckets, event dedupe); undefined when the L2 is not Redis (memory, Memcached). Ordinary
 * client options (commands wait for a reconnect), unlike the store's fail-fast ones. The caller closes it.
 */
export async function createL2RedisClient(l2: L2Settings, options: { maxRetriesPerRequest?: number } = {}): Promise<Redis | Cluster | undefined> {
  if (l2.kind === 'memory' || l2.kind === 'memcached') return undefined
  const { Cluster, Redis } = await import('ioredis')
  const password = l2.redisPassword === '' ? {} : { password: l2.redisPassword }
  const retries = { maxRetriesPerRequest: options.maxRetriesPerRequest ?? 2 }
  const client =
    l2.kind === 'redis'
      ? new Redis(l2.redisUrl, retries)
      : l2.kind === 'redis-sentinel'
        ? new Redis({ ...retries, ...password, sentinels: l2.sentinels.map(hostAndPort), name: l2.sentinelName })
        : new Cluster(l2.clusterNodes.map(hostAndPort), { redisOptions: { ...retries, ...password } })
  // Errors reach callers as rejected commands; without a listener ioredis would also print each reconnect attempt.
  client.on('error', () => undefined)
  return client
}
