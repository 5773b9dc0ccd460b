import { fork, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { transportInvalidationBus } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { RedisInvalidationFanout, fastInvalidationChannel } from '@strata/bus/redis'
import { createCache } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { RedisEventDedupe, buildInvalidator, parseRules, type EventDedupe } from '@strata/invalidator'
import { Redis } from 'ioredis'
import { Kafka, logLevel } from 'kafkajs'
import { printReport, round } from './lib/report.js'

// `pnpm bench invalidation`: latency from a domain event produced to Kafka (a plain kafkajs producer, as a user's
// service would) until the entry is gone from the L1 of two cache instances in separate processes — through the
// invalidator (consume, rules, dedupe in Redis alongside the L2 delete, publish to strata.invalidations.v1) and the caches'
// broadcast consumers. Side by side, in the same run and alternating: the raw floor, one kafkajs produce → consume
// hop on the same broker. Lower is better.
// Configured as a deployment with STRATA_FAST_INVALIDATION=redis: the invalidator also publishes each invalidation on
// Redis pub/sub and the caches follow both, so the path is one Kafka hop plus Redis round trips (the Kafka copy still
// arrives and is applied; an L1 counts as evicted at the first copy). BENCH_FAST_INVALIDATION=off measures the Kafka
// path alone (two Kafka hops).
// Fairness: both paths use the same broker, the same producer (acks -1), as many messages (BENCH_EVENTS split evenly,
// BENCH_ROUNDS alternating rounds), and are awaited the same way (a promise settled by the arrival, no polling loop
// that would take a core from the processes on the strata path). Stages of the strata path are timed on the way
// (the invalidator's claim and fast publish, in this process; the evictions, in the cache processes).
const brokers = (process.env.STRATA_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')
const redisUrl = process.env.STRATA_REDIS_URL ?? 'redis://127.0.0.1:6379'
const EVENTS = Number(process.env.BENCH_EVENTS ?? 500)
const FAST = (process.env.BENCH_FAST_INVALIDATION ?? 'redis') !== 'off'
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const GAP_MS = Number(process.env.BENCH_GAP_MS ?? 0)
const WARMUP = 30
const now = () => performance.timeOrigin + performance.now()

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

/** Settles waits on an arrival: `expect(id)` before the send, `arrived(id)` when it lands. */
class Arrivals {
  private readonly waiting = new Map<string, () => void>()

  expect(id: string, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id)
        reject(new Error(`timed out waiting for ${id}`))
      }, timeoutMs)
      this.waiting.set(id, () => {
        clearTimeout(timer)
        this.waiting.delete(id)
        resolve()
      })
    })
  }

  arrived(id: string): void {
    this.waiting.get(id)?.()
  }
}

async function startWorker(instanceId: string, prefix: string, topic: string, onEvicted: (key: string) => void): Promise<Worker> {
  const child = fork(fileURLToPath(import.meta.url), ['--worker', instanceId, prefix, topic], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const worker: Worker = { child, evictions: new Map() }
  child.on('message', (raw) => {
    const message = raw as { evicted?: string[]; at?: number }
    if (message.evicted === undefined) return
    // The first copy evicts; the other (Kafka after Redis, or the reverse) finds nothing left to drop.
    for (const key of message.evicted) {
      if (worker.evictions.has(key)) continue
      worker.evictions.set(key, message.at!)
      onEvicted(key)
    }
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

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

/** When each stage of one event's strata path was reached (epoch ms, sub-ms). */
interface StageTimes {
  produced: number
  acked?: number
  claiming?: number
  claimed?: number
  fanout?: number
  evicted?: number
  /** The invalidator done with the event (its durable publish acknowledged, the claim completed). */
  completed?: number
  /** The previous event's `completed`, when it came after this event was produced. */
  previousBusyUntil?: number
}

async function runParent(): Promise<void> {
  const run = randomUUID().slice(0, 8)
  const prefix = `bench-inv-${run}`
  const domainTopic = `bench.orders.${run}`
  const floorTopic = `bench.floor.${run}`
  const invalidationsTopic = `bench.invalidations.${run}`
  const redis = new Redis(redisUrl)
  const loadAtStart = os.loadavg()

  // Stage timestamps along the strata path, by event id and by key: the dedupe claim is the invalidator's handler
  // starting on the event (after its consume), the fanout publish is the invalidation leaving (after the L2 delete and
  // the claim, which run side by side for a key-only event).
  const stages = new Map<string, StageTimes>()
  const eventOf = (eventId: string) => stages.get(eventId.slice(eventId.lastIndexOf('-') + 1))
  const redisDedupe: EventDedupe = new RedisEventDedupe(redis, prefix)
  const dedupe: EventDedupe = {
    async claim(eventId, claimant) {
      const times = eventOf(eventId)
      if (times !== undefined) times.claiming ??= now()
      const claim = await redisDedupe.claim(eventId, claimant)
      if (times !== undefined) times.claimed ??= now()
      return claim
    },
    async complete(eventId, token) {
      await redisDedupe.complete(eventId, token)
      const times = eventOf(eventId)
      if (times === undefined || times.completed !== undefined) return
      times.completed = now()
      // The next event, if already produced, waited for this one at the invalidator.
      const next = stages.get(String(Number(eventId.slice(eventId.lastIndexOf('-') + 1)) + 1))
      if (next !== undefined) next.previousBusyUntil = times.completed
    },
    release: (eventId, token) => redisDedupe.release(eventId, token),
  }
  const redisFanout = new RedisInvalidationFanout(redis, { channel: fastInvalidationChannel(prefix, invalidationsTopic) })
  const fanout = {
    name: redisFanout.name,
    publish(payload: string) {
      const key = /"keys":\["order:(\d+)"/.exec(payload)?.[1]
      const times = key === undefined ? undefined : stages.get(key)
      if (times !== undefined) times.fanout ??= now()
      return redisFanout.publish(payload)
    },
    subscribe: (handler: (payload: string) => void) => redisFanout.subscribe(handler),
  }

  const transport = new KafkaTransport({ brokers, clientId: 'bench-invalidator', log: () => undefined })
  const invalidator = buildInvalidator({
    transport,
    l2: redisStore({ url: redisUrl }),
    publisher: transportInvalidationBus(transport, {
      instanceId: 'bench-invalidator',
      topic: invalidationsTopic,
      ...(FAST ? { fanout } : {}),
    }),
    rules: parseRules(`version: 1\nrules:\n  - name: order\n    topic: ${domainTopic}\n    namespace: orders\n    keys: ['order:{data.id}']\n`),
    dedupe,
    prefix,
    group: `bench.invalidator.${run}`,
  })
  await invalidator.start()
  const strataArrivals = new Arrivals()
  const workers: Worker[] = []
  const onEvicted = (key: string) => {
    if (workers.every((worker) => worker.evictions.has(key))) strataArrivals.arrived(key)
  }
  workers.push(...(await Promise.all(['a', 'b'].map((name) => startWorker(`${name}-${run}`, prefix, invalidationsTopic, onEvicted)))))

  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING })
  const producer = kafka.producer()
  await producer.connect()
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: floorTopic }, { topic: domainTopic }] })
  await admin.disconnect()
  const floorConsumer = kafka.consumer({ groupId: `bench.floor.${run}`, maxWaitTimeInMs: 250 })
  const floorReceived = new Map<string, number>()
  const floorArrivals = new Arrivals()
  await floorConsumer.connect()
  await floorConsumer.subscribe({ topics: [floorTopic], fromBeginning: true })
  await floorConsumer.run({
    eachMessage: ({ message }) => {
      const id = message.value!.toString()
      floorReceived.set(id, now())
      floorArrivals.arrived(id)
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
  const measured: StageTimes[] = []
  const strataOnce = async (): Promise<number> => {
    const i = next++
    const key = `order:${i}`
    const evicted = strataArrivals.expect(key)
    if (GAP_MS > 0) await new Promise((resolve) => setTimeout(resolve, GAP_MS))
    const times: StageTimes = { produced: now() }
    stages.set(String(i), times)

    const event = { specversion: '1.0', id: `${run}-${i}`, type: 'order.updated', source: 'bench', time: new Date().toISOString(), data: { id: i } }
    await producer.send({ topic: domainTopic, acks: -1, messages: [{ key, value: JSON.stringify(event) }] })
    times.acked = now()
    await evicted
    times.evicted = Math.max(...workers.map((worker) => worker.evictions.get(key)!))
    measured.push(times)
    return times.evicted - times.produced
  }
  let floorNext = 0
  const floorOnce = async (): Promise<number> => {
    const id = `f${floorNext++}`
    const received = floorArrivals.expect(id)
    const start = now()
    await producer.send({ topic: floorTopic, acks: -1, messages: [{ key: id, value: id }] })
    await received
    return floorReceived.get(id)! - start
  }

  for (let i = 0; i < WARMUP; i++) {
    await strataOnce()
    await floorOnce()
  }
  measured.length = 0
  const samples = { strata: [] as number[], floor: [] as number[] }
  const perRound = EVENTS / 2 / ROUNDS
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['strata', 'floor'] as const) : (['floor', 'strata'] as const)
    for (const name of order) {
      for (let i = 0; i < perRound; i++) samples[name].push(name === 'strata' ? await strataOnce() : await floorOnce())
    }
  }
  const loadAtEnd = os.loadavg()

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

  // Where the strata path's time went, stage by stage (each row: from the previous mark to this one).
  const span = (from: keyof StageTimes, to: keyof StageTimes) => measured.filter((t) => t[from] !== undefined && t[to] !== undefined).map((t) => t[to]! - t[from]!)
  const stageRow = (path: string, values: number[]) => ({ path, events: values.length, p50_ms: round(percentile(values, 50)), p99_ms: round(percentile(values, 99)), max_ms: round(Math.max(...values)) })
  const stageRows = FAST
    ? [
        stageRow('  stage: produced -> invalidator handler starts (Kafka consume)', span('produced', 'claiming')),
        // A key-only event's L2 delete (one script, counting) is sent alongside its claim: the claim row includes it
        // where it is the slower of the two, the next row holds what is left of it.
        stageRow('  stage: event claim (Redis; the L2 delete runs alongside)', span('claiming', 'claimed')),
        stageRow('  stage: claimed -> fast publish (rest of the L2 delete)', span('claimed', 'fanout')),
        stageRow('  stage: fast publish -> last L1 evicted (pub/sub, cache process)', span('fanout', 'evicted')),
        stageRow('  (produce acknowledged, from produced)', span('produced', 'acked')),
        stageRow('  (previous event not yet done at the invalidator when produced; overlapped since pipelining)', span('produced', 'previousBusyUntil')),
        stageRow('  (fast publish -> invalidator done: durable publish, claim complete)', span('fanout', 'completed')),
      ]
    : [stageRow('  stage: produced -> invalidator handler starts (Kafka consume)', span('produced', 'claiming')), stageRow('  stage: claimed -> last L1 evicted', span('claimed', 'evicted'))]
  const load = (values: number[]) => values.map((value) => round(value, 2)).join(' / ')

  printReport({
    bench: 'invalidation',
    metric: 'p99 latency, domain event produced -> entry gone from the L1 of 2 cache processes (floor: one kafkajs produce -> consume hop)',
    unit: 'ms',
    higherIsBetter: false,
    results: { strata: round(p99.strata), 'kafkajs-floor': round(p99.floor), 'strata-p50': round(p50.strata), 'kafkajs-floor-p50': round(p50.floor) },
    ratios: { 'p99 strata/floor': round(p99.strata / p99.floor), 'p50 strata/floor': round(p50.strata / p50.floor) },
    table: [
      { path: `strata (event -> invalidator -> L2 + ${FAST ? 'Redis pub/sub and Kafka' : 'Kafka'} -> 2 L1s)`, events: samples.strata.length, p50_ms: round(p50.strata), p99_ms: round(p99.strata), max_ms: round(Math.max(...samples.strata)) },
      ...stageRows,
      { path: "  event time -> invalidation published, Kafka ack included (invalidator's histogram, ms clock)", events: stage.count, p50_ms: round(stage.p50), p99_ms: round(stage.p99), max_ms: round(stage.max) },
      { path: 'kafkajs floor (produce -> consume)', events: samples.floor.length, p50_ms: round(p50.floor), p99_ms: round(p99.floor), max_ms: round(Math.max(...samples.floor)) },
      { path: 'ratio strata / floor', events: '', p50_ms: round(p50.strata / p50.floor), p99_ms: round(p99.strata / p99.floor), max_ms: '' },
    ],
    env: { events: EVENTS, rounds: ROUNDS, warmup: WARMUP, kafka: brokers.join(','), fastInvalidation: FAST ? 'redis' : 'off', loadAverageAtStart: load(loadAtStart), loadAverageAtEnd: load(loadAtEnd) },
  })
  process.exit(0)
}

if (process.argv[2] === '--worker') await runWorker(process.argv[3]!, process.argv[4]!, process.argv[5]!)
else await runParent()
