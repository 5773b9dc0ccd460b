import { fork, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { KafkaTransport } from '@strata/bus/kafka'
import { createCache, type StrataCache } from '@strata/core'
import { PROCESS_ADMIN_KEY, requireKafka, requireMemcached, requireRedisCluster, servers, startGatewayProcess, uniqueName, waitUntil, type GatewayProcess } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/index.js'
import { createL2Store } from '../src/l2/index.js'

// Issue #19, acceptance 3: the gateway's and the invalidator's real main.ts, configured only through STRATA_*
// variables, on the Redis Cluster and on the Memcached pool: a domain event on Kafka reaches the invalidator, which
// deletes from the shared L2 and broadcasts, and every gateway's L1 drops the key. A second deployment (another
// STRATA_PREFIX) on the same servers keeps its copy of the same namespace and key.

const AUTH = { authorization: `Bearer ${PROCESS_ADMIN_KEY}` }
const invalidatorMain = fileURLToPath(new URL('../../../services/invalidator/src/main.ts', import.meta.url))

interface InvalidatorProcess {
  child: ChildProcess
  stop(): Promise<void>
}

/** The invalidator's real main.ts on a free port; resolves once it says it is ready (it consumes by then). */
async function startInvalidator(env: Record<string, string>): Promise<InvalidatorProcess> {
  const child = fork(invalidatorMain, [], {
    cwd: fileURLToPath(new URL('../../../services/invalidator/', import.meta.url)),
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, STRATA_INVALIDATOR_HOST: '127.0.0.1', STRATA_INVALIDATOR_PORT: '0', STRATA_INVALIDATOR_AUTH: 'off', STRATA_LOG_LEVEL: 'warn', ...env },
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()))
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve())
    child.once('exit', (code) => reject(new Error(`the invalidator exited with ${code} before it was ready:\n${stderr}`)))
  })
  return {
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}

const BACKENDS = [
  { name: 'Redis Cluster', require: requireRedisCluster, env: () => ({ STRATA_L2: 'redis-cluster', STRATA_REDIS_CLUSTER_NODES: servers.redisClusterNodes.map((node) => `${node.host}:${node.port}`).join(',') }) },
  { name: 'the Memcached pool', require: requireMemcached, env: () => ({ STRATA_L2: 'memcached', STRATA_MEMCACHED_SERVERS: servers.memcachedServers.join(',') }) },
] as const

describe.each(BACKENDS)('gateway and invalidator main.ts on $name', (backend) => {
  const prefix = uniqueName('rt')
  const otherPrefix = uniqueName('rt-other')
  const topic = uniqueName('shop.users')
  const namespace = 'users'
  const gateways: GatewayProcess[] = []
  let invalidator: InvalidatorProcess | undefined
  let producer: KafkaTransport
  /** This deployment's L2 seen directly (no L1), and the other deployment's, built from the same configuration. */
  let direct: StrataCache
  let other: StrataCache
  let env: Record<string, string>

  beforeAll(async () => {
    await backend.require()
    const brokers = await requireKafka()
    const rules = join(mkdtempSync(join(tmpdir(), 'strata-rt-')), 'invalidation-rules.yaml')
    writeFileSync(rules, `version: 1\nrules:\n  - name: user-changed\n    topic: ${topic}\n    type: user.updated\n    namespace: ${namespace}\n    keys: ['user:{data.id}']\n`)
    env = { ...backend.env(), STRATA_PREFIX: prefix, STRATA_KAFKA_BROKERS: brokers.join(',') }
    const gatewayEnv = {
      ...env,
      STRATA_GATEWAY_BUS: 'kafka',
      STRATA_GATEWAY_QUEUE: 'memory',
      STRATA_GATEWAY_NAMESPACES: JSON.stringify({ [namespace]: { ttl: 600_000 } }),
    }
    const started = await Promise.all([
      startGatewayProcess(gatewayEnv),
      startGatewayProcess(gatewayEnv),
      startInvalidator({ ...env, STRATA_INVALIDATOR_RULES: rules, STRATA_INVALIDATOR_GROUP: uniqueName('rt-invalidator') }),
    ])
    gateways.push(started[0], started[1])
    invalidator = started[2]
    producer = new KafkaTransport({ brokers, clientId: 'round-trip-test', log: () => undefined })
    // The same l2 section the processes read, from the same variables.
    const l2 = loadConfig({ env }).config.l2
    direct = createCache({ prefix, l1: false, l2: await createL2Store(l2) })
    other = createCache({ prefix: otherPrefix, l1: false, l2: await createL2Store(l2) })
  }, 90_000)

  afterAll(async () => {
    await Promise.all([...gateways.map((gateway) => gateway.stop()), invalidator?.stop()])
    await producer?.close()
    await direct?.close()
    await other?.close()
  })

  const url = (gateway: GatewayProcess, key: string) => `${gateway.url}/v1/namespaces/${namespace}/keys/${encodeURIComponent(key)}`
  const read = async (gateway: GatewayProcess, key: string) => {
    const response = await fetch(url(gateway, key), { headers: AUTH })
    return { status: response.status, body: response.status === 200 ? ((await response.json()) as { v: number }) : undefined }
  }
  const write = async (key: string, value: unknown) => {
    const response = await fetch(url(gateways[0]!, key), { method: 'PUT', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ value }) })
    expect(response.status).toBe(200)
  }
  const publish = (id: string) =>
    producer.publish(topic, [{ key: id, value: JSON.stringify({ specversion: '1.0', id: randomUUID(), type: 'user.updated', source: 'shop/users', time: new Date().toISOString(), data: { id } }) }])

  it('a domain event on Kafka evicts the key from every gateway’s L1 and from L2, and leaves another prefix’s copy alone', async () => {
    // Every gateway follows the bus before the real test: a warm-up key is written, read into each L1, and evicted by
    // events until each gateway answers 404 (a consumer that joined late would otherwise miss the event).
    await write('user:warm', { v: 0 })
    for (const gateway of gateways) expect((await read(gateway, 'user:warm')).status).toBe(200)
    await waitUntil(async () => {
      await publish('warm')
      await new Promise((resolve) => setTimeout(resolve, 300))
      return (await Promise.all(gateways.map((gateway) => read(gateway, 'user:warm')))).every((answer) => answer.status === 404)
    }, 45_000)

    // The same namespace and key in this deployment and in another one sharing the servers.
    await write('user:1', { v: 1 })
    const mine = direct.defineNamespace<{ v: number }>(namespace, { ttl: 600_000 })
    const theirs = other.defineNamespace<{ v: number }>(namespace, { ttl: 600_000 })
    await theirs.set('user:1', { v: 100 })
    // The gateway wrote into the configured L2, under this deployment's prefix.
    expect(await mine.get('user:1')).toEqual({ v: 1 })
    for (const gateway of gateways) expect(await read(gateway, 'user:1')).toEqual({ status: 200, body: { v: 1 } })
    // L2 changes behind the gateways' backs: they still answer v1, so that answer comes from their L1.
    await mine.set('user:1', { v: 2 })
    for (const gateway of gateways) expect(await read(gateway, 'user:1')).toEqual({ status: 200, body: { v: 1 } })

    await publish('1')
    // Evicted from every L1 and deleted from L2: each gateway now misses (no origin: 404).
    await waitUntil(async () => (await Promise.all(gateways.map((gateway) => read(gateway, 'user:1')))).every((answer) => answer.status === 404), 30_000)
    expect(await mine.get('user:1')).toBeUndefined()
    // The other deployment's key, same namespace and key on the same servers, is untouched.
    expect(await theirs.get('user:1')).toEqual({ v: 100 })
  }, 120_000)
})
