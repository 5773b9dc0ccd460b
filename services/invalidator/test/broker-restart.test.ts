import { transportInvalidationBus } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { redisStore } from '@strata/core/redis'
import { KafkaProcess, requireRedis, uniqueName, waitUntil } from '@strata/testkit'
import { Redis } from 'ioredis'
import { Kafka, logLevel, type Message } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisEventDedupe, buildInvalidator, parseRules, type Invalidator } from '../src/app.js'


// Acceptance 3: the broker is SIGKILLed and restarted in the middle of a stream of 10,000 domain events. Every event
// must be applied (one invalidation record each), and none twice in effect, though Kafka redelivers what was not
// committed and the producer may write some events twice.
const EVENTS = 10_000
const BATCH = 500

describe('acceptance 3: broker restart in the middle of 10,000 events', () => {
  const broker = new KafkaProcess(19092, 19093)
  const topic = 'shop.orders.v1'
  const prefix = uniqueName('restart')
  let redis: Redis
  let transport: KafkaTransport
  let invalidator: Invalidator
  const applied = new Map<string, number>()

  beforeAll(async () => {
    await broker.start()
    const redisUrl = await requireRedis()
    redis = new Redis(redisUrl)
    // Six partitions handled at once: per-event work is a few Redis and Kafka round trips, so it is latency-bound.
    const admin = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 6 }] })
    await admin.disconnect()
    transport = new KafkaTransport({ brokers: broker.brokers, clientId: 'restart-test', log: () => undefined, sessionTimeoutMs: 6_000, partitionsConsumedConcurrently: 6 })
    invalidator = buildInvalidator({
      transport,
      l2: redisStore({ url: redisUrl }),
      publisher: transportInvalidationBus(transport, { instanceId: 'invalidator' }),
      rules: parseRules(`version: 1\nrules:\n  - name: order\n    topic: ${topic}\n    namespace: orders\n    keys: ['order:{data.id}']\n`),
      dedupe: new RedisEventDedupe(redis, prefix),
      prefix,
      retry: { attempts: 5, initialBackoffMs: 50, maxBackoffMs: 500 },
    })
    invalidator.onRecord((record) => applied.set(record.sourceEventId!, (applied.get(record.sourceEventId!) ?? 0) + 1))
    await invalidator.start()
  }, 120_000)

  afterAll(async () => {
    await invalidator?.stop()
    await transport?.close()
    await broker.dispose()
    const keys = await redis.keys(`${prefix}:*`)
    for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000))
    redis.disconnect()
  }, 60_000)

  it('applies every event exactly once in effect', { timeout: 420_000 }, async () => {
    const kafka = new Kafka({ clientId: 'domain-producer', brokers: broker.brokers, logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 200 } })
    const producer = kafka.producer()
    await producer.connect()
    const event = (i: number): Message => ({
      key: `order:${i % 997}`,
      value: JSON.stringify({ specversion: '1.0', id: `evt-${i}`, type: 'order.updated', source: 'shop', time: new Date().toISOString(), data: { id: i } }),
    })
    // Until acknowledged: a batch that failed is sent again, so some events may be in the topic twice.
    const sendBatch = async (from: number) => {
      const messages = Array.from({ length: BATCH }, (_, j) => event(from + j))
      for (;;) {
        try {
          await producer.send({ topic, acks: -1, messages })
          return
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 300))
        }
      }
    }

    for (let from = 0; from < EVENTS / 2; from += BATCH) await sendBatch(from)
    await waitUntil(() => applied.size >= 1_000, 60_000)
    await broker.kill()
    const appliedAtKill = applied.size
    const killedAt = Date.now()
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    await broker.start()
    for (let from = EVENTS / 2; from < EVENTS; from += BATCH) await sendBatch(from)
    await producer.disconnect()

    // Generous: on a loaded 2-core machine the 10,000 events (each a few Redis and Kafka round trips) can take minutes.
    await waitUntil(() => applied.size >= EVENTS, 360_000).catch(() => {
      throw new Error(`only ${applied.size} of ${EVENTS} events applied ${Date.now() - killedAt} ms after the restart (${appliedAtKill} at the kill)`)
    })
    console.log(`broker restart: ${appliedAtKill} applied at the kill, all ${EVENTS} ${Date.now() - killedAt} ms after it; duplicates skipped: ${/outcome="duplicate"\} (\d+)/.exec(await invalidator.analytics.metrics())?.[1] ?? 0}`)
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    expect(appliedAtKill).toBeLessThan(EVENTS)
    expect(applied.size).toBe(EVENTS)
    const twice = [...applied.entries()].filter(([, count]) => count > 1)
    expect(twice).toEqual([])
    for (let i = 0; i < EVENTS; i += 1111) expect(applied.get(`evt-${i}`)).toBe(1)
  })
})

