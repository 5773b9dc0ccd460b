import { fork, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { transportInvalidationBus } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { RedisInvalidationFanout, fastInvalidationChannel } from '@strata/bus/redis'
import { createCache } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { RedisEventDedupe, buildInvalidator, parseRules } from '@strata/invalidator'
import { Redis } from 'ioredis'
import { Kafka, logLevel } from 'kafkajs'
import { printReport, round } from './lib/report.js'

// `pnpm bench invalidation`: latency from a domain event produced to Kafka (a plain kafkajs producer, as a user's
// service would) until the entry is gone from the L1 of two cache instances in separate processes — through the
// invalidator (consume, rules, dedupe in Redis, L2 delete, publish to strata.invalidations.v1) and the caches'
// broadcast consumers. Side by side, in the same run and alternating: the raw floor, one kafkajs produce → consume
// hop on the same broker. Lower is better.
// Configured as a deployment with STRATA_FAST_INVALIDATION=redis: the invalidator also publishes each invalidation on
// Redis pub/sub and the caches follow both, so the path is one Kafka hop plus Redis round trips (the Kafka copy still
// arrives and is applied; an L1 counts as evicted at the first copy). BENCH_FAST_INVALIDATION=off measures the Kafka
// path alone (two Kafka hops).
const brokers = (process.env.STRATA_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')
const redisUrl = process.env.STRATA_REDIS_URL ?? 'redis://127.0.0.1:6379'
const EVENTS = Number(process.env.BENCH_EVENTS ?? 500)
const FAST = (process.env.BENCH_FAST_INVALIDATION ?? 'redis') !== 'off'
const ROUNDS = 5
const WARMUP = 30
const now = () => performance.timeOrigin + performance.now()

if (process.argv[2] === '--worker') await runWorker(process.argv[3]!, process.argv[4]!, process.argv[5]!)
else await runParent()

async function runWorker(instanceId: string, prefix: string, topic: string): Promise<void> {
  const transport = new KafkaTransport({ brokers, clientId: `bench-${instanceId}`, log: () => undefined })
  const redis = new Redis(redisUrl)
  const fanout = FAST ? { fanout: new RedisInvalidationFanout(redis, { channel: fastInvalidationChannel(prefix, topic) }) } : {}
  const cache = createCache({ prefix, l2: redisStore({ url: redisUrl }), bus: transportInvalidationBus(transport, { instanceId, topic, ...fanout }) })
  const orders = cache.namespace('orders')
  cache.on('invalidate', (event) => {
    if (event.remote && event.keys !== undefined) process.send!({ evicted: event.keys, at: now() })
  })
  process.on('message', (raw) => {
    const message = raw as { op: 'load'; keys: string[] } | { op: 'close' }
    void (async () => {
      if (message.op === 'load') {
        for (const key of message.keys) await orders.get(key)
        const inL1 = await Promise.all(message.keys.map(async (key) => (await orders.inspect(key))?.tier === 'l1'))
        process.send!({ loaded: inL1.filter(Boolean).length })
      } else {
        await cache.close()
        await transport.close()
        redis.disconnect()
        process.exit(0)
      }
    })()
  })
  await cache.ready
  process.send!({ ready: true })
}

interface Worker {
  child: ChildProcess
  evictions: Map<string, number>
}

async function startWorker(instanceId: string, prefix: string, topic: string): Promise<Worker> {
  const child = fork(fileURLToPath(import.meta.url), ['--worker', instanceId, prefix, topic], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const worker: Worker = { child, evictions: new Map() }
  child.on('message', (raw) => {
    const message = raw as { evicted?: string[]; at?: number }
    // The first copy evicts; the other (Kafka after Redis, or the reverse) finds nothing left to drop.
    if (message.evicted !== undefined) for (const key of message.evicted) if (!worker.evictions.has(key)) worker.evictions.set(key, message.at!)
  })
  await waitForMessage(child, (message) => message.ready === true)
  return worker
}

function waitForMessage(child: ChildProcess, accept: (message: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const listener = (raw: unknown) => {
      if (!accept(raw as Record<string, unknown>)) return
      child.off('message', listener)
      resolve(raw as Record<string, unknown>)
    }
    child.on('message', listener)
  })
}

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for an eviction')
    await new Promise((resolve) => setImmediate(resolve))
  }
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

async function runParent(): Promise<void> {
  const run = randomUUID().slice(0, 8)
  const prefix = `bench-inv-${run}`
  const domainTopic = `bench.orders.${run}`
  const floorTopic = `bench.floor.${run}`
  const invalidationsTopic = `bench.invalidations.${run}`
  const redis = new Redis(redisUrl)

  const transport = new KafkaTransport({ brokers, clientId: 'bench-invalidator', log: () => undefined })
  const invalidator = buildInvalidator({
    transport,
    l2: redisStore({ url: redisUrl }),
    publisher: transportInvalidationBus(transport, {
      instanceId: 'bench-invalidator',
      topic: invalidationsTopic,
      ...(FAST ? { fanout: new RedisInvalidationFanout(redis, { channel: fastInvalidationChannel(prefix, invalidationsTopic) }) } : {}),
    }),
    rules: parseRules(`version: 1\nrules:\n  - name: order\n    topic: ${domainTopic}\n    namespace: orders\n    keys: ['order:{data.id}']\n`),
    dedupe: new RedisEventDedupe(redis, prefix),
    prefix,
    group: `bench.invalidator.${run}`,
  })
  await invalidator.start()
  const workers = await Promise.all(['a', 'b'].map((name) => startWorker(`${name}-${run}`, prefix, invalidationsTopic)))

  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING })
  const producer = kafka.producer()
  await producer.connect()
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: floorTopic }, { topic: domainTopic }] })
  await admin.disconnect()
  const floorConsumer = kafka.consumer({ groupId: `bench.floor.${run}`, maxWaitTimeInMs: 250 })
  const floorReceived = new Map<string, number>()
  await floorConsumer.connect()
  await floorConsumer.subscribe({ topics: [floorTopic], fromBeginning: true })
  await floorConsumer.run({
    eachMessage: ({ message }) => {
      floorReceived.set(message.value!.toString(), now())
      return Promise.resolve()
    },
  })

  const total = EVENTS / 2 + WARMUP
  const seed = createCache({ l1: false, prefix, l2: redisStore({ url: redisUrl }) })
  const keys = Array.from({ length: total }, (_, i) => `order:${i}`)
  for (const key of keys) await seed.namespace('orders').set(key, { key })
  await new Promise((resolve) => setTimeout(resolve, 500))
  for (const worker of workers) {
    worker.child.send({ op: 'load', keys })
    const { loaded } = await waitForMessage(worker.child, (message) => typeof message.loaded === 'number')
    if (loaded !== total) throw new Error(`worker loaded ${String(loaded)} of ${total} keys into L1`)
    worker.evictions.clear()
  }

  let next = 0
  const strataOnce = async (): Promise<number> => {
    const i = next++
    const key = `order:${i}`
    const start = now()
    const event = { specversion: '1.0', id: `${run}-${i}`, type: 'order.updated', source: 'bench', time: new Date().toISOString(), data: { id: i } }
    await producer.send({ topic: domainTopic, acks: -1, messages: [{ key, value: JSON.stringify(event) }] })
    await waitUntil(() => workers.every((worker) => worker.evictions.has(key)))
    return Math.max(...workers.map((worker) => worker.evictions.get(key)!)) - start
  }
  let floorNext = 0
  const floorOnce = async (): Promise<number> => {
    const id = `f${floorNext++}`
    const start = now()
    await producer.send({ topic: floorTopic, acks: -1, messages: [{ key: id, value: id }] })
    await waitUntil(() => floorReceived.has(id))
    return floorReceived.get(id)! - start
  }

  for (let i = 0; i < WARMUP; i++) {
    await strataOnce()
    await floorOnce()
  }
  const samples = { strata: [] as number[], floor: [] as number[] }
  const perRound = EVENTS / 2 / ROUNDS
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['strata', 'floor'] as const) : (['floor', 'strata'] as const)
    for (const name of order) {
      for (let i = 0; i < perRound; i++) samples[name].push(name === 'strata' ? await strataOnce() : await floorOnce())
    }
  }

  const stage = invalidator.analytics.latency()
  const p50 = { strata: percentile(samples.strata, 50), floor: percentile(samples.floor, 50) }
  const p99 = { strata: percentile(samples.strata, 99), floor: percentile(samples.floor, 99) }
  await floorConsumer.disconnect()
  await producer.disconnect()
  for (const worker of workers) worker.child.send({ op: 'close' })
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.child.once('exit', resolve))))
  await invalidator.stop()
  await transport.close()
  await seed.close()
  const leftovers = await redis.keys(`${prefix}:*`)
  for (let i = 0; i < leftovers.length; i += 1000) await redis.del(...leftovers.slice(i, i + 1000))
  redis.disconnect()

  printReport({
    bench: 'invalidation',
    metric: 'p99 latency, domain event produced -> entry gone from the L1 of 2 cache processes (floor: one kafkajs produce -> consume hop)',
    unit: 'ms',
    higherIsBetter: false,
    results: { strata: round(p99.strata), 'kafkajs-floor': round(p99.floor), 'strata-p50': round(p50.strata), 'kafkajs-floor-p50': round(p50.floor) },
    ratios: { 'p99 strata/floor': round(p99.strata / p99.floor), 'p50 strata/floor': round(p50.strata / p50.floor) },
    table: [
      { path: `strata (event -> invalidator -> L2 + ${FAST ? 'Redis pub/sub and Kafka' : 'Kafka'} -> 2 L1s)`, events: samples.strata.length, p50_ms: round(p50.strata), p99_ms: round(p99.strata), max_ms: round(Math.max(...samples.strata)) },
      { path: "  of which: event time -> invalidation published (invalidator's histogram, ms clock)", events: stage.count, p50_ms: round(stage.p50), p99_ms: round(stage.p99), max_ms: round(stage.max) },
      { path: 'kafkajs floor (produce -> consume)', events: samples.floor.length, p50_ms: round(p50.floor), p99_ms: round(p99.floor), max_ms: round(Math.max(...samples.floor)) },
    ],
    env: { events: EVENTS, rounds: ROUNDS, warmup: WARMUP, kafka: brokers.join(','), fastInvalidation: FAST ? 'redis' : 'off' },
  })
  process.exit(0)
}
