import { execFileSync } from 'node:child_process'
import { request } from 'node:http'
import { requireKafka, requireRedis, startGatewayProcess, uniqueName, type GatewayProcess } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

interface Answer {
  status: number
  /** x-strata-worker */
  slot: number
  body: string
}

// The gateway's main.ts with STRATA_GATEWAY_WORKERS=2: a node:cluster primary and two workers on one port (0: the
// workers share the primary's listening socket), L2 on the shared Redis, bus 'none' so L1 coherence between the
// workers rests on the primary's IPC relay alone.
describe('multi-worker gateway (STRATA_GATEWAY_WORKERS=2, real processes, shared Redis)', () => {
  const namespace = uniqueName('workers').replace(/[^a-z0-9-]/g, '-')
  let gateway: GatewayProcess

  beforeAll(async () => {
    gateway = await startTwoWorkers(namespace, {})
  }, 60_000)
  afterAll(async () => {
    await gateway?.kill()
  })

  const keyPath = (key: string) => `/v1/namespaces/${namespace}/keys/${key}`

  it('serves on one port from both workers, each answer naming its worker', async () => {
    const byWorker = await answersFromEveryWorker(() => send(gateway.port, 'GET', '/health/live'), 3)
    expect([...byWorker.keys()].sort()).toEqual([1, 2])
    for (const answers of byWorker.values()) expect(answers.every((answer) => answer.status === 200)).toBe(true)
  })

  it("an invalidation or a write through one worker reaches the other worker's L1", async () => {
    await checkCoherence(gateway.port, namespace)
  })

  it('restarts a SIGKILLed worker; every request after the restart succeeds', async () => {
    expect((await send(gateway.port, 'PUT', keyPath('desk'), { value: { name: 'desk' } })).status).toBe(200)
    const before = workerPids(gateway.child.pid!)
    expect(before).toHaveLength(2)
    process.kill(before[0]!, 'SIGKILL')
    // A new worker takes the dead one's slot (requests meanwhile land on the survivor, or fail with the dying socket).
    const deadline = Date.now() + 30_000
    for (;;) {
      const now = workerPids(gateway.child.pid!)
      if (now.length === 2 && !now.includes(before[0]!)) break
      if (Date.now() > deadline) throw new Error(`the killed worker was not replaced within 30 s (workers: ${now.join(', ')})`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    await answersFromEveryWorker(() => send(gateway.port, 'GET', '/health/ready'), 1)
    const after = await Promise.all(Array.from({ length: 40 }, () => send(gateway.port, 'GET', keyPath('desk')).catch((error: Error) => ({ status: error.message, slot: 0, body: '' }))))
    expect(after.map((answer) => answer.status)).toEqual(after.map(() => 200))
    expect(new Set(after.map((answer) => answer.slot))).toEqual(new Set([1, 2]))
  }, 60_000)

  it('SIGTERM to the primary drains every worker and exits 0', async () => {
    const workers = workerPids(gateway.child.pid!)
    expect(workers).toHaveLength(2)
    await gateway.stop()
    expect({ code: gateway.child.exitCode, signal: gateway.child.signalCode }).toEqual({ code: 0, signal: null })
    for (const pid of workers) expect(alive(pid)).toBe(false)
  }, 60_000)
})

// With bus kafka each worker is a gateway instance on Kafka: with STRATA_INSTANCE_ID set (a pod name), the workers must
// still get broadcast groups of their own, or they would share the topic's partitions and each hear only part of it.
describe('multi-worker gateway on Kafka (STRATA_GATEWAY_BUS=kafka, one STRATA_INSTANCE_ID)', () => {
  const namespace = uniqueName('workers-kafka').replace(/[^a-z0-9-]/g, '-')
  let gateway: GatewayProcess

  beforeAll(async () => {
    const brokers = await requireKafka()
    gateway = await startTwoWorkers(namespace, { STRATA_GATEWAY_BUS: 'kafka', STRATA_KAFKA_BROKERS: brokers.join(','), STRATA_INSTANCE_ID: uniqueName('pod') })
  }, 90_000)
  afterAll(async () => {
    await gateway?.kill()
  })

  it("over Kafka, each worker in a broadcast group of its own: a change through one worker reaches the other's L1", async () => {
    await checkCoherence(gateway.port, namespace)
  }, 60_000)
})

describe('multi-worker gateway whose workers cannot start', () => {
  it('gives up after repeated start failures and exits non-zero, naming why', async () => {
    const redisUrl = await requireRedis()
    // Auth on with keys in PostgreSQL that is not there: every worker fails before it listens (the primary does not
    // touch PostgreSQL, so it is the supervisor that must notice).
    const started = startGatewayProcess({
      STRATA_GATEWAY_WORKERS: '2',
      STRATA_L2: 'redis',
      STRATA_REDIS_URL: redisUrl,
      STRATA_QUEUE_REDIS_URL: redisUrl,
      STRATA_PREFIX: uniqueName('workers-crash'),
      STRATA_GATEWAY_KEY_STORE: 'postgres',
      STRATA_POSTGRES_URL: 'postgres://strata:strata@127.0.0.1:1/strata',
    })
    await expect(started).rejects.toThrow(/exited with 1 before listening[\s\S]*exited before listening 5 times in a row: giving up/)
  }, 120_000)
})

/** main.ts with two workers, auth off, L2 on the shared Redis, `namespace` created; resolves once both are ready. */
async function startTwoWorkers(namespace: string, env: Record<string, string>): Promise<GatewayProcess> {
  const redisUrl = await requireRedis()
  const gateway = await startGatewayProcess({
    STRATA_GATEWAY_WORKERS: '2',
    STRATA_GATEWAY_AUTH: 'off',
    STRATA_L2: 'redis',
    STRATA_REDIS_URL: redisUrl,
    STRATA_QUEUE_REDIS_URL: redisUrl,
    STRATA_PREFIX: uniqueName('workers-prefix'),
    STRATA_GATEWAY_NAMESPACES: JSON.stringify({ [namespace]: { ttl: 600_000 } }),
    ...env,
  })
  // The primary logged the first worker listening; wait for the other.
  await answersFromEveryWorker(() => send(gateway.port, 'GET', '/health/ready'), 1)
  return gateway
}

/**
 * Both workers hold a key in L1 (their metrics say so: L1 hits, which also proves each hears the bus, since an L1 copy
 * is only served while the invalidation stream is heard); a delete through one worker, then a write through one, must
 * be what every worker answers after.
 */
async function checkCoherence(port: number, namespace: string): Promise<void> {
  const keyPath = (key: string) => `/v1/namespaces/${namespace}/keys/${key}`
  const key = 'lamp'
  expect((await send(port, 'PUT', keyPath(key), { value: { name: 'lamp', version: 1 } })).status).toBe(200)
  // Read enough that both workers hold the value in their L1 (the first read of each fills it from L2).
  const warm = await answersFromEveryWorker(() => send(port, 'GET', keyPath(key)), 3)
  for (const answers of warm.values()) expect(answers.map((answer) => [answer.status, JSON.parse(answer.body) as unknown])).toContainEqual([200, { name: 'lamp', version: 1 }])
  const metrics = await answersFromEveryWorker(() => send(port, 'GET', '/metrics'), 1)
  for (const [slot, answers] of metrics) expect({ slot, l1Hits: l1HitsOf(answers[0]!.body, namespace) > 0 }).toEqual({ slot, l1Hits: true })

  const deleted = await send(port, 'DELETE', keyPath(key))
  expect(deleted.status).toBeLessThan(300)
  // The delete was answered after the event left the deleting worker; give the relay a moment to reach the other.
  await new Promise((resolve) => setTimeout(resolve, 200))
  const afterDelete = await answersFromEveryWorker(() => send(port, 'GET', keyPath(key)), 5)
  for (const [slot, answers] of afterDelete) expect({ slot, statuses: answers.map((answer) => answer.status) }).toEqual({ slot, statuses: answers.map(() => 404) })

  // A new value written through one worker is what every worker answers (their L1s dropped the old one).
  expect((await send(port, 'PUT', keyPath(key), { value: { name: 'lamp', version: 1 } })).status).toBe(200)
  await answersFromEveryWorker(() => send(port, 'GET', keyPath(key)), 3)
  const writer = await send(port, 'PUT', keyPath(key), { value: { name: 'lamp', version: 2 } })
  expect(writer.status).toBe(200)
  await new Promise((resolve) => setTimeout(resolve, 200))
  const afterWrite = await answersFromEveryWorker(() => send(port, 'GET', keyPath(key)), 5)
  for (const answers of afterWrite.values()) for (const answer of answers) expect(JSON.parse(answer.body)).toEqual({ name: 'lamp', version: 2 })
}

/** `strata_cache_requests_total{tier="l1",result="hit"}` of `namespace` in a /metrics text (0 when absent). */
function l1HitsOf(metrics: string, namespace: string): number {
  const line = metrics.split('\n').find((row) => row.startsWith('strata_cache_requests_total{') && row.includes(`namespace="${namespace}"`) && row.includes('tier="l1"') && row.includes('result="hit"'))
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1))
}

/** Sends until every worker (slots 1 and 2) answered `each` times; the answers by slot. */
async function answersFromEveryWorker(send: () => Promise<Answer>, each: number): Promise<Map<number, Answer[]>> {
  const bySlot = new Map<number, Answer[]>()
  const deadline = Date.now() + 30_000
  while (bySlot.size < 2 || [...bySlot.values()].some((answers) => answers.length < each)) {
    if (Date.now() > deadline) throw new Error(`not every worker answered ${each} times within 30 s: ${JSON.stringify([...bySlot.keys()])}`)
    const answer = await send().catch(() => undefined)
    if (answer === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      continue
    }
    const answers = bySlot.get(answer.slot) ?? []
    answers.push(answer)
    bySlot.set(answer.slot, answers)
  }
  return bySlot
}

/** One request on a connection of its own, so that the cluster hands each to the next worker in turn. */
function send(port: number, method: string, path: string, json?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = json === undefined ? undefined : JSON.stringify(json)
    const outgoing = request(
      { host: '127.0.0.1', port, method, path, agent: false, headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => {
          const slot = String(response.headers['x-strata-worker'])
          if (!/^[1-9]\d*$/.test(slot)) return reject(new Error(`no x-strata-worker header on ${method} ${path}`))
          resolve({ status: response.statusCode!, slot: Number(slot), body: Buffer.concat(chunks).toString() })
        })
        response.on('error', reject)
      },
    )
    outgoing.on('error', reject)
    // A connection lost with a killed worker must not hold a loop forever.
    outgoing.setTimeout(5_000, () => outgoing.destroy(new Error(`${method} ${path}: no answer within 5 s`)))
    outgoing.end(body)
  })
}

/** The primary's worker processes (its children running main.ts; tsx may have a helper of its own), from the process table. */
function workerPids(primary: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(primary)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes('main.ts'))
      .map((line) => Number(line.trim().split(/\s+/)[0]))
      .filter((pid) => pid > 0)
  } catch {
    // ps exits 1 when the primary has no children.
    return []
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
