import {
  containerKafkaBrokers,
  containerMemcachedServers,
  containerPostgresUrl,
  containerQueueRedisUrl,
  containerRedisUrl,
} from './containers/server-containers.js'
import { serversFromContainers } from './containers/servers-mode.js'
import { kafkaApiVersions, memcachedVersion, postgresSslRequest, redisPing } from './handshakes.js'
import { type Handshake, type HostPort, hostPorts, requireTcp, servers, urlHostPort } from './servers.js'

// Each helper checks that the server answers its own protocol (an open port held by something else does not pass),
// then returns where it is, so a test reads: `const url = await requireRedis()`. Called without an address under
// STRATA_SERVERS=containers, the helpers for Redis, the queue Redis, Memcached, Kafka and PostgreSQL start the
// server in a container instead (containers/server-containers.ts); an address given is always the one checked.

async function requireAll(what: string, targets: HostPort[], handshake: Handshake): Promise<void> {
  await Promise.all(targets.map((target) => requireTcp(what, target, 2000, handshake)))
}

/** The standalone cache Redis (STRATA_REDIS_URL). */
export async function requireRedis(given?: string): Promise<string> {
  const url = given ?? (serversFromContainers() ? await containerRedisUrl() : servers.redisUrl)
  await requireTcp('Redis (STRATA_REDIS_URL)', urlHostPort(url, 6379), 2000, redisPing)
  return url
}

/** The append-only Redis behind the BullMQ queues (STRATA_QUEUE_REDIS_URL). */
export async function requireQueueRedis(given?: string): Promise<string> {
  const url = given ?? (serversFromContainers() ? await containerQueueRedisUrl() : servers.queueRedisUrl)
  await requireTcp('Queue Redis (STRATA_QUEUE_REDIS_URL)', urlHostPort(url, 6379), 2000, redisPing)
  return url
}

/** Every node of the Redis Cluster (STRATA_REDIS_CLUSTER_NODES). */
export async function requireRedisCluster(nodes = servers.redisClusterNodes): Promise<HostPort[]> {
  await requireAll('Redis Cluster node (STRATA_REDIS_CLUSTER_NODES)', nodes, redisPing)
  return nodes
}

/** Every sentinel of the Sentinel group, and the name of the primary they watch (STRATA_REDIS_SENTINELS). */
export async function requireSentinel(
  sentinels = servers.redisSentinels,
  name = servers.redisSentinelName,
): Promise<{ sentinels: HostPort[]; name: string }> {
  await requireAll('Redis Sentinel (STRATA_REDIS_SENTINELS)', sentinels, redisPing)
  return { sentinels, name }
}

/** Every Memcached server (STRATA_MEMCACHED_SERVERS), as "host:port" strings. */
export async function requireMemcached(given?: string[]): Promise<string[]> {
  const list = given ?? (serversFromContainers() ? await containerMemcachedServers() : servers.memcachedServers)
  await requireAll('Memcached (STRATA_MEMCACHED_SERVERS)', hostPorts(list.join(',')), memcachedVersion)
  return [...list]
}

/** Every Kafka broker (STRATA_KAFKA_BROKERS), as "host:port" strings. */
export async function requireKafka(given?: string[]): Promise<string[]> {
  const brokers = given ?? (serversFromContainers() ? await containerKafkaBrokers() : servers.kafkaBrokers)
  await requireAll('Kafka (STRATA_KAFKA_BROKERS)', hostPorts(brokers.join(',')), kafkaApiVersions)
  return [...brokers]
}

/** The PostgreSQL database the cache uses (STRATA_POSTGRES_URL). */
export async function requirePostgres(given?: string): Promise<string> {
  const url = given ?? (serversFromContainers() ? await containerPostgresUrl() : servers.postgresUrl)
  await requireTcp('PostgreSQL (STRATA_POSTGRES_URL)', urlHostPort(url, 5432), 2000, postgresSslRequest)
  return url
}

/**
 * The Zipkin server (STRATA_ZIPKIN_URL, its base URL: spans go to `/api/v2/spans`, queries to `/api/v2/...`). It
 * counts only when `/health` answers as Zipkin with its storage up.
 */
export async function requireZipkin(url = servers.zipkinUrl): Promise<string> {
  const health = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })
    .then(async (response) => (response.ok ? ((await response.json()) as { zipkin?: { status?: string } }) : undefined))
    .catch(() => undefined)
  if (health?.zipkin?.status !== 'UP') {
    throw new Error(
      `Zipkin (STRATA_ZIPKIN_URL) is not reachable at ${url} (no healthy /health answer). ` +
        'Start the real servers with `pnpm infra:up` (or point the STRATA_* variables at your own).',
    )
  }
  return url
}
