import type { ChildProcess } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { BullmqJobQueue } from '@strata/queue/bullmq'
import { RedisPendingWrites } from '@strata/queue/redis'
import { PROCESS_ADMIN_KEY, requirePostgres, requireQueueRedis, startGatewayProcess, uniqueName, type GatewayProcess } from '@strata/testkit'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFlusherProcess, tableName, waitFor } from './support/harness.js'

// The production wiring end to end, as separate processes: the gateway's main.ts (STRATA_GATEWAY_QUEUE=redis)
// acknowledges write-behind PUTs once the durable Redis buffer has them, is SIGKILLed right after the last
// acknowledgement, and the write-behind service's main.ts started afterwards flushes every acknowledged write.
const redisUrl = await requireQueueRedis()
const postgresUrl = await requirePostgres()
const name = uniqueName('wb-gw')
const table = tableName(name)
// The erasure test's own buffer and table: the first test's flusher must not flush its writes early.
const erasing = uniqueName('wb-erase')
const erasingTable = tableName(erasing)
const pool = new pg.Pool({ connectionString: postgresUrl, max: 2 })
const client = new Redis(redisUrl)
const children = new Set<ChildProcess>()
let readOrigin: Server
let gateway: GatewayProcess | undefined

/** The gateway's main.ts (auth on, as by default; see PROCESS_ADMIN_KEY) with write-behind on the Redis buffer. */
function startGateway(queue = name): Promise<GatewayProcess> {
  const originPort = (readOrigin.address() as { port: number }).port
  return startGatewayProcess({
    STRATA_GATEWAY_L2: 'memory',
    STRATA_GATEWAY_QUEUE: 'redis',
    STRATA_QUEUE_REDIS_URL: redisUrl,
    STRATA_WB_QUEUE: queue,
    STRATA_GATEWAY_NAMESPACES: JSON.stringify({ accounts: { writeMode: 'write-behind', origin: { url: `http://127.0.0.1:${originPort}/accounts/{key}` } } }),
  })
}

describe('gateway write-behind on the durable Redis buffer (real processes, queue Redis, PostgreSQL)', () => {
  beforeAll(() => {
    // The namespace's read origin (read-through on a miss); this test never misses, so it only has to exist.
    readOrigin = createServer((_request, response) => response.writeHead(404).end())
    return new Promise<void>((resolve) => readOrigin.listen(0, '127.0.0.1', resolve))
  })
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL')
    await gateway?.kill()
    for (const queue of [name, erasing].flatMap((queue) => [`${queue}-flush`, `${queue}-dead-writes`])) {
      const q = new BullmqJobQueue(queue, { url: redisUrl })
      await q.obliterate()
      await q.close()
    }
    await new RedisPendingWrites({ client, name }).destroy()
    await new RedisPendingWrites({ client, name: erasing }).destroy()
    await pool.query(`DROP TABLE IF EXISTS ${table}`)
    await pool.query(`DROP TABLE IF EXISTS ${erasingTable}`)
    await pool.end()
    client.disconnect()
    readOrigin?.close()
  })

  it('reports the queue in readiness, and every write acknowledged before a SIGKILL of the gateway reaches PostgreSQL', async () => {
    const running = (gateway = await startGateway())
    const ready = await fetch(`${running.url}/health/ready`)
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { queue: { status: 'up' } } })

    // Four lanes, each writing its own 15 keys in order (each PUT acknowledged before the next one of that lane), so
    // every key's last acknowledged value is known exactly.
    const acknowledged = new Map<string, number>()
    const lane = async (lane: number): Promise<void> => {
      for (let n = 0; n < 150; n++) {
        const key = `acct-${lane}-${n % 15}`
        const response = await fetch(`${running.url}/v1/namespaces/accounts/keys/${key}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${PROCESS_ADMIN_KEY}` },
          body: JSON.stringify({ value: { key, n } }),
        })
        expect(response.status).toBe(200)
        await response.arrayBuffer()
        acknowledged.set(key, n)
      }
    }
    await Promise.all([0, 1, 2, 3].map(lane))
    await running.kill()

    const flusher = await startFlusherProcess({ redisUrl, postgresUrl, name, table })
    children.add(flusher)
    const rows = async (): Promise<Map<string, number>> => {
      const { rows } = await pool.query<{ key: string; value: { n: number } }>(`SELECT key, value FROM ${table} WHERE namespace = 'accounts'`)
      return new Map(rows.map((row) => [row.key, row.value.n]))
    }
    await waitFor(async () => sameAs(await rows(), acknowledged), 30_000, 'every key at its last acknowledged value')
    expect(await rows()).toEqual(acknowledged)
    expect(acknowledged.size).toBe(60)
  }, 90_000)

  it('erasing a data subject drops its buffered writes: no plaintext left in the queue Redis, none reaches PostgreSQL', async () => {
    const running = await startGateway(erasing)
    const subject = uniqueName('subject')
    const marker = `PLAINTEXT-${uniqueName('m')}`
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${PROCESS_ADMIN_KEY}` }
    try {
      for (const [key, tag] of [['erased-1', subject], ['erased-2', subject], ['kept', `${subject}-other`]] as const) {
        const put = await fetch(`${running.url}/v1/namespaces/accounts/keys/${key}`, { method: 'PUT', headers, body: JSON.stringify({ value: { key, marker }, tags: [`subject:${tag}`] }) })
        expect(put.status).toBe(200)
      }
      const purge = await fetch(`${running.url}/v1/admin/subjects/${subject}`, { method: 'DELETE', headers: { authorization: headers.authorization } })
      expect(purge.status).toBe(200)
      expect(await purge.json()).toMatchObject({ discardedWrites: { accounts: 2 } })
    } finally {
      await running.kill()
    }

    // The buffer, read raw: only the other subject's write is left, the erased values are not in any of its keys.
    const buffer = await client.hgetall(`strata:wb:{${erasing}}:values`)
    expect(Object.keys(buffer).map((field) => field.split('\n')[1])).toEqual(['kept'])
    for (const key of await client.keys(`strata:wb:{${erasing}}:*`)) {
      const raw = (await client.type(key)) === 'hash' ? JSON.stringify(await client.hgetall(key)) : JSON.stringify(await client.zrange(key, 0, -1))
      expect(raw.includes('erased-'), key).toBe(false)
    }

    const flusher = await startFlusherProcess({ redisUrl, postgresUrl, name: erasing, table: erasingTable })
    children.add(flusher)
    const keys = async (): Promise<string[]> => (await pool.query<{ key: string }>(`SELECT key FROM ${erasingTable} ORDER BY key`)).rows.map((row) => row.key)
    await waitFor(async () => (await keys().catch((): string[] => [])).includes('kept'), 30_000, 'the other subject\'s write flushed')
    expect(await keys()).toEqual(['kept'])
  }, 90_000)
})

function sameAs(rows: Map<string, number>, acknowledged: Map<string, number>): boolean {
  return [...acknowledged].every(([key, n]) => rows.get(key) === n)
}
