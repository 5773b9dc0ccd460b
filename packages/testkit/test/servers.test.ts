// Proves that every real server `pnpm infra:up` provides is reached through the client Strata uses for it.
import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { Cluster, Redis } from 'ioredis'
import { Kafka, Partitioners, logLevel } from 'kafkajs'
import Memcached from 'memcached'
import pg from 'pg'
import {
  eventually,
  requireKafka,
  requireMemcached,
  requirePostgres,
  requireQueueRedis,
  requireRedis,
  requireRedisCluster,
  requireSentinel,
  requireTcp,
  requireZipkin,
  uniqueName,
  urlHostPort,
} from '../src/index.js'

const cleanups: (() => Promise<unknown>)[] = []
// Last opened, first closed: a Kafka consumer stops before its topic is deleted.
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
})

describe('Redis standalone', () => {
  it('sets and gets a value with ioredis', async () => {
    const redis = new Redis(await requireRedis(), { lazyConnect: true })
    cleanups.push(() => redis.quit())
    const key = uniqueName('testkit:standalone')
    expect(await redis.set(key, 'value-1', 'EX', 60)).toBe('OK')
    expect(await redis.get(key)).toBe('value-1')
    await redis.del(key)
  })

  it('gives the queues an append-only, never-evicting instance', async () => {
    const redis = new Redis(await requireQueueRedis(), { lazyConnect: true })
    cleanups.push(() => redis.quit())
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes'])
    expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction'])
  })
})

describe('Redis Cluster', () => {
  it('sees 6 nodes, 3 of them primaries, with cluster_state:ok, and routes keys to every shard', async () => {
    const cluster = new Cluster(await requireRedisCluster(), { lazyConnect: true })
    cleanups.push(() => cluster.quit())
    await cluster.connect()
    expect(await cluster.cluster('INFO')).toMatch(/^cluster_state:ok\r?$/m)
    expect(cluster.nodes('all')).toHaveLength(6)
    expect(cluster.nodes('master')).toHaveLength(3)

    // Enough keys that every one of the 3 primaries owns some.
    const keys = Array.from({ length: 30 }, (_, i) => uniqueName(`testkit:cluster:${i}`))
    await Promise.all(keys.map((key, i) => cluster.set(key, String(i), 'EX', 60)))
    expect(await Promise.all(keys.map((key) => cluster.get(key)))).toEqual(keys.map((_, i) => String(i)))
    const owners = new Set(await Promise.all(keys.map(async (key) => ownerOf(cluster, key))))
    expect(owners.size).toBe(3)
    await Promise.all(keys.map((key) => cluster.del(key)))
  })
})

async function ownerOf(cluster: Cluster, key: string): Promise<string> {
  const slot = await cluster.cluster('KEYSLOT', key)
  const range = (await cluster.cluster('SLOTS')).find(([from, to]) => slot >= from && slot <= to)
  const primary = range?.[2]
  return primary === undefined ? 'none' : `${primary[0]}:${primary[1]}`
}

describe('Redis Sentinel', () => {
  it('resolves the primary through the sentinels and writes to it', async () => {
    const { sentinels, name } = await requireSentinel()
    const viaSentinel = new Redis({ sentinels, name, lazyConnect: true })
    cleanups.push(() => viaSentinel.quit())
    const key = uniqueName('testkit:sentinel')
    expect(await viaSentinel.set(key, 'through-sentinel', 'EX', 60)).toBe('OK')
    expect(await viaSentinel.get(key)).toBe('through-sentinel')
    expect((await viaSentinel.role())[0]).toBe('master')

    // The value is on the server the sentinels name as the primary, read without going through them.
    const sentinel = new Redis({ ...sentinels[0]!, lazyConnect: true })
    cleanups.push(() => sentinel.quit())
    const [host, port] = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string]
    const primary = new Redis({ host, port: Number(port), lazyConnect: true })
    cleanups.push(() => primary.quit())
    expect(await primary.get(key)).toBe('through-sentinel')
    await viaSentinel.del(key)
  })
})

describe('Memcached', () => {
  it('sets and gets on each instance, addressed one by one', async () => {
    const addresses = await requireMemcached()
    expect(addresses.length).toBeGreaterThanOrEqual(2)
    const clients = addresses.map((address) => new Memcached(address, { retries: 0, timeout: 2000 }))
    cleanups.push(async () => clients.forEach((client) => client.end()))

    for (const [i, client] of clients.entries()) {
      const key = uniqueName(`testkit-memcached-${i}`)
      expect(await mcSet(client, key, `value-${i}`)).toBe(true)
      expect(await mcGet(client, key)).toBe(`value-${i}`)
      // Two distinct servers: what one holds, the next does not.
      expect(await mcGet(clients[(i + 1) % clients.length]!, key)).toBeUndefined()
      await mcDel(client, key)
    }
  })
})

function mcSet(client: Memcached, key: string, value: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    client.set(key, value, 60, (error: unknown, result: boolean) => (error ? reject(asError(error)) : resolve(result)))
  })
}

function mcGet(client: Memcached, key: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    client.get(key, (error: unknown, data: unknown) => (error ? reject(asError(error)) : resolve(data)))
  })
}

function mcDel(client: Memcached, key: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    client.del(key, (error: unknown, result: boolean) => (error ? reject(asError(error)) : resolve(result)))
  })
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

describe('Kafka', () => {
  it('creates a topic, produces a message and consumes it back', { timeout: 60_000 }, async () => {
    const kafka = new Kafka({ clientId: 'strata-testkit', brokers: await requireKafka(), logLevel: logLevel.WARN })
    const topic = uniqueName('testkit.roundtrip')
    const admin = kafka.admin()
    await admin.connect()
    cleanups.push(async () => {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined)
      await admin.disconnect()
    })
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })).toBe(true)
    expect(await admin.listTopics()).toContain(topic)

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
    await producer.connect()
    cleanups.push(() => producer.disconnect())
    const value = `hello-${Date.now()}`
    await producer.send({ topic, messages: [{ key: 'k1', value }] })

    const consumer = kafka.consumer({ groupId: uniqueName('testkit-group') })
    await consumer.connect()
    cleanups.push(() => consumer.disconnect())
    await consumer.subscribe({ topic, fromBeginning: true })
    const received = new Promise<{ key: string | undefined; value: string | undefined }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          resolve({ key: message.key?.toString(), value: message.value?.toString() })
        },
      })
    })
    expect(await received).toEqual({ key: 'k1', value })
  })
})

describe('PostgreSQL', () => {
  it('answers a query, with wal_level logical for change capture', async () => {
    const client = new pg.Client({ connectionString: await requirePostgres() })
    await client.connect()
    cleanups.push(() => client.end())
    const { rows } = await client.query<{ answer: number }>('SELECT 40 + $1::int AS answer', [2])
    expect(rows).toEqual([{ answer: 42 }])
    const walLevel = await client.query<{ wal_level: string }>('SHOW wal_level')
    expect(walLevel.rows[0]?.wal_level).toBe('logical')
    const slots = await client.query<{ max_replication_slots: string }>('SHOW max_replication_slots')
    expect(Number(slots.rows[0]?.max_replication_slots)).toBeGreaterThanOrEqual(10)
  })
})

describe('Zipkin', () => {
  it('takes a span on /api/v2/spans and serves it back by trace id and service name', async () => {
    const zipkin = await requireZipkin()
    const serviceName = uniqueName('testkit')
    const traceId = randomBytes(16).toString('hex')
    const span = { traceId, id: randomBytes(8).toString('hex'), name: 'probe', kind: 'SERVER', timestamp: Date.now() * 1000, duration: 1500, localEndpoint: { serviceName } }
    const posted = await fetch(`${zipkin}/api/v2/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([span]) })
    expect(posted.status).toBe(202)
    // Zipkin stores asynchronously: the span is readable shortly after the 202.
    await eventually(async () => {
      const response = await fetch(`${zipkin}/api/v2/trace/${traceId}`)
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual([expect.objectContaining({ traceId, id: span.id, name: 'probe', localEndpoint: { serviceName } })])
    }, 10_000)
    const listed = (await (await fetch(`${zipkin}/api/v2/traces?serviceName=${serviceName}&lookback=600000`)).json()) as { traceId: string }[][]
    expect(listed.map((trace) => trace[0]?.traceId)).toEqual([traceId])
  })
})

describe('testkit helpers', () => {
  it('names `pnpm infra:up` when a server is missing', async () => {
    // Port 1 (tcpmux) is closed on loopback.
    await expect(requireTcp('Nothing', { host: '127.0.0.1', port: 1 }, 500)).rejects.toThrow(/pnpm infra:up/)
    await expect(requireRedis('redis://127.0.0.1:1')).rejects.toThrow(/Redis \(STRATA_REDIS_URL\).*127\.0\.0\.1:1/)
    await expect(requireZipkin('http://127.0.0.1:1')).rejects.toThrow(/Zipkin \(STRATA_ZIPKIN_URL\).*127\.0\.0\.1:1.*pnpm infra:up/)
  })

  it('refuses a port held by a server of another kind', async () => {
    // Redis answers Memcached's `version` with an error; PostgreSQL answers Kafka's ApiVersions with one.
    const redis = urlHostPort(await requireRedis(), 6379)
    await expect(requireMemcached([`${redis.host}:${redis.port}`])).rejects.toThrow(/Memcached.*something else/)
    const postgres = urlHostPort(await requirePostgres(), 5432)
    await expect(requireKafka([`${postgres.host}:${postgres.port}`])).rejects.toThrow(/Kafka.*something else/)
  })

  it('makes a different name every call', () => {
    const names = new Set(Array.from({ length: 1000 }, () => uniqueName('t')))
    expect(names.size).toBe(1000)
    expect(uniqueName('orders')).toMatch(/^orders-[a-z0-9]+-[0-9a-f]{8}$/)
  })
})
