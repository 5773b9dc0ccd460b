import { setTimeout as sleep } from 'node:timers/promises'
import type { GenericContainer, StartedTestContainer } from 'testcontainers'
import { freePort } from '../free-port.js'
import { kraftClusterId } from '../kraft-cluster-id.js'
import { kafkaApiVersions, memcachedVersion, postgresSslRequest, redisPing } from '../handshakes.js'
import { type Handshake, type HostPort, requireTcp } from '../servers.js'
import { imageName, type ServerImage, serverImages } from './server-images.js'
import { containerRunId, containerRunLabel } from './container-run.js'
import { loadTestcontainers } from './container-runtime.js'

/**
 * The servers of container mode (STRATA_SERVERS=containers): each is started once per test process, on a host port
 * Docker picks, and answers in the same shape as the loopback helpers. Every container carries the run's label, so
 * whatever a killed process leaves behind is removed by the run's global teardown (removeRunContainers).
 */

interface ServerSpec {
  what: string
  image: ServerImage
  port: number
  handshake: Handshake
  readyWithinMs: number
  configure: (container: GenericContainer, published: HostPort) => GenericContainer
  /** Kafka advertises its address to clients, so its host port must be known before it starts: mapped 1:1. */
  sameHostPort?: boolean
}

interface RunningServer {
  container: StartedTestContainer
  address: HostPort
}

// On globalThis so that a module graph loaded twice in one process (vitest without isolation) still starts each
// server once; cleared by stopServerContainers.
const REGISTRY = Symbol.for('strata.testkit.server-containers')
type Registry = Map<string, Promise<RunningServer>>
function registry(): Registry {
  const holder = globalThis as { [REGISTRY]?: Registry }
  return (holder[REGISTRY] ??= new Map<string, Promise<RunningServer>>())
}

const redis: ServerSpec = {
  what: 'Redis',
  image: serverImages.redis,
  port: 6379,
  handshake: redisPing,
  readyWithinMs: 30_000,
  configure: (container) => container.withCommand(['redis-server', '--protected-mode', 'no', '--save', '', '--appendonly', 'no']),
}

// BullMQ refuses an instance that may evict its keys; jobs are appended to disk as on the loopback queue Redis.
const queueRedis: ServerSpec = {
  ...redis,
  what: 'Queue Redis',
  configure: (container) =>
    container.withCommand(['redis-server', '--protected-mode', 'no', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction']),
}

// -I 2m as with `pnpm infra:up`: the engine's default maxValueBytes is 1 MiB, and an item also holds its key and header.
const memcached: ServerSpec = {
  what: 'Memcached',
  image: serverImages.memcached,
  port: 11211,
  handshake: memcachedVersion,
  readyWithinMs: 30_000,
  configure: (container) => container.withCommand(['memcached', '-m', '64', '-I', '2m', '-c', '1024']),
}

// One KRaft node, broker and controller, configured through the official image's KAFKA_* variables. Clients use
// PLAINTEXT on the published port; the broker reaches itself on BROKER inside the container.
const kafka: ServerSpec = {
  what: 'Kafka',
  image: serverImages.kafka,
  port: 9092,
  handshake: kafkaApiVersions,
  readyWithinMs: 120_000,
  sameHostPort: true,
  configure: (container, published) =>
    container.withEnvironment({
      CLUSTER_ID: kraftClusterId(),
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${published.port},BROKER://0.0.0.0:9094,CONTROLLER://0.0.0.0:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${published.host}:${published.port},BROKER://localhost:9094`,
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_NUM_PARTITIONS: '3',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'true',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '10',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_HEAP_OPTS: '-Xms256m -Xmx512m',
    }),
}

// The database cache follows table changes through logical decoding.
const postgres: ServerSpec = {
  what: 'PostgreSQL',
  image: serverImages.postgres,
  port: 5432,
  handshake: postgresSslRequest,
  readyWithinMs: 60_000,
  configure: (container) =>
    container
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: 'strata' })
      .withCommand(['postgres', '-c', 'wal_level=logical', '-c', 'max_replication_slots=20', '-c', 'max_wal_senders=20']),
}

/** The cache Redis in a container, as a `redis://` URL. */
export async function containerRedisUrl(): Promise<string> {
  const { address } = await startOnce('redis', redis)
  return `redis://${address.host}:${address.port}`
}

/** The append-only, never-evicting Redis for BullMQ in a container, as a `redis://` URL. */
export async function containerQueueRedisUrl(): Promise<string> {
  const { address } = await startOnce('queue-redis', queueRedis)
  return `redis://${address.host}:${address.port}`
}

/** Two Memcached containers (pools and consistent hashing need two servers, as with `pnpm infra:up`). */
export async function containerMemcachedServers(): Promise<string[]> {
  const started = await Promise.all([startOnce('memcached-1', memcached), startOnce('memcached-2', memcached)])
  return started.map(({ address }) => `${address.host}:${address.port}`)
}

/** A single-node Kafka (KRaft) in a container, as a broker list. */
export async function containerKafkaBrokers(): Promise<string[]> {
  const { address } = await startOnce('kafka', kafka)
  return [`${address.host}:${address.port}`]
}

/** PostgreSQL 15 with logical decoding in a container, database `strata`, trust auth. */
export async function containerPostgresUrl(): Promise<string> {
  const { address } = await startOnce('postgres', postgres)
  return `postgres://postgres@${address.host}:${address.port}/strata`
}

/** Stops and removes every container this process started; the next request starts fresh ones. */
export async function stopServerContainers(): Promise<void> {
  const started = [...registry().values()]
  registry().clear()
  await Promise.all(
    started.map(async (starting) => {
      const running = await starting.catch(() => undefined)
      await running?.container.stop({ timeout: 0, remove: true }).catch(() => undefined)
    }),
  )
}

function startOnce(key: string, spec: ServerSpec): Promise<RunningServer> {
  let starting = registry().get(key)
  if (starting === undefined) {
    starting = start(key, spec)
    registry().set(key, starting)
    // A failed start is not remembered: the next test asks again and sees the same clear error.
    starting.catch(() => {
      if (registry().get(key) === starting) registry().delete(key)
    })
  }
  return starting
}

async function start(key: string, spec: ServerSpec): Promise<RunningServer> {
  const image = imageName(spec.image)
  const { GenericContainer, getContainerRuntimeClient } = await loadTestcontainers()
  const host = (await getContainerRuntimeClient()).info.containerRuntime.host
  const labels = { ...containerRunLabel(), 'strata.testkit.server': key, 'strata.testkit.pid': String(process.pid) }
  const run = async (hostPort: number | undefined): Promise<StartedTestContainer> =>
    spec
      .configure(new GenericContainer(image), { host, port: hostPort ?? 0 })
      .withExposedPorts(hostPort === undefined ? spec.port : { container: hostPort, host: hostPort })
      .withLabels(labels)
      .withStartupTimeout(spec.readyWithinMs)
      .start()
  let container: StartedTestContainer
  let hostPort: number | undefined
  for (let attempt = 1; ; attempt++) {
    hostPort = spec.sameHostPort ? await freePort() : undefined
    try {
      container = await run(hostPort)
      break
    } catch (error) {
      // Another process took the free port between our choosing it and Docker binding it: choose again.
      if (hostPort !== undefined && attempt < 3 && /port is already allocated|address already in use/i.test(String(error))) continue
      throw new Error(
        `${spec.what} container from image "${image}" did not start (${(error as Error).message}). ` +
          `The image comes from ${spec.image.variable} (default ${spec.image.official}): Docker must have it or be able to pull it.`,
        { cause: error },
      )
    }
  }
  const address = { host, port: container.getMappedPort(hostPort ?? spec.port) }
  try {
    await answersWithin(spec, address)
  } catch (error) {
    await container.stop({ timeout: 0, remove: true }).catch(() => undefined)
    throw error
  }
  // Says which container served the run (its id, image and port), for whoever reads a container-mode log.
  console.info(
    `[testkit] ${spec.what}: container ${container.getId().slice(0, 12)} (${image}, run ${containerRunId()}) ` +
      `at ${address.host}:${address.port}`,
  )
  return { container, address }
}

// A published port accepts connections before the server inside is ready; the server's own protocol tells.
async function answersWithin(spec: ServerSpec, address: HostPort): Promise<void> {
  const deadline = Date.now() + spec.readyWithinMs
  for (;;) {
    try {
      return await requireTcp(`${spec.what} container`, address, 2000, spec.handshake)
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(200)
    }
  }
}
