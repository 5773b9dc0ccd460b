import { type Handshake, type HostPort, hostPorts, requireTcp, servers, urlHostPort } from './servers.js'

// Each helper checks that the server answers its own protocol (an open port held by something else does not pass),
// then returns where it is, so a test reads: `const url = await requireRedis()`.

const redisPing: Handshake = {
  request: 'PING\r\n',
  // +PONG, or an error such as -NOAUTH from a server that wants a password: either way, a Redis answered.
  accepts: (reply) => (reply.includes('\r\n') ? reply[0] === 0x2b || reply[0] === 0x2d : undefined),
}

const memcachedVersion: Handshake = {
  request: 'version\r\n',
  accepts: (reply) => (reply.includes('\r\n') ? reply.toString('latin1').startsWith('VERSION ') : undefined),
}

// Kafka ApiVersions v0 with correlation id 0x53540001: a broker answers with a size-prefixed frame echoing the id.
const kafkaApiVersions: Handshake = {
  request: Buffer.from([0, 0, 0, 10, 0, 18, 0, 0, 0x53, 0x54, 0, 1, 0xff, 0xff]),
  accepts: (reply) => (reply.length >= 8 ? reply.readInt32BE(4) === 0x53540001 : undefined),
}

// PostgreSQL SSLRequest: a server answers a single byte, 'S' or 'N'.
const postgresSslRequest: Handshake = {
  request: Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]),
  accepts: (reply) => reply[0] === 0x53 || reply[0] === 0x4e,
}

async function requireAll(what: string, targets: HostPort[], handshake: Handshake): Promise<void> {
  await Promise.all(targets.map((target) => requireTcp(what, target, 2000, handshake)))
}

/** The standalone cache Redis (STRATA_REDIS_URL). */
export async function requireRedis(url = servers.redisUrl): Promise<string> {
  await requireTcp('Redis (STRATA_REDIS_URL)', urlHostPort(url, 6379), 2000, redisPing)
  return url
}

/** The append-only Redis behind the BullMQ queues (STRATA_QUEUE_REDIS_URL). */
export async function requireQueueRedis(url = servers.queueRedisUrl): Promise<string> {
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
export async function requireMemcached(list = servers.memcachedServers): Promise<string[]> {
  await requireAll('Memcached (STRATA_MEMCACHED_SERVERS)', hostPorts(list.join(',')), memcachedVersion)
  return [...list]
}

/** Every Kafka broker (STRATA_KAFKA_BROKERS), as "host:port" strings. */
export async function requireKafka(brokers = servers.kafkaBrokers): Promise<string[]> {
  await requireAll('Kafka (STRATA_KAFKA_BROKERS)', hostPorts(brokers.join(',')), kafkaApiVersions)
  return [...brokers]
}

/** The PostgreSQL database the cache uses (STRATA_POSTGRES_URL). */
export async function requirePostgres(url = servers.postgresUrl): Promise<string> {
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
