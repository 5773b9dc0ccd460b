import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { transportInvalidationBus } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { createCache } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { TcpProxy, freePort, requireKafka, requireRedis, uniqueName, urlHostPort, waitUntil } from '@strata/testkit'
import { Redis } from 'ioredis'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, expect, it } from 'vitest'
import { RedisEventDedupe, buildInvalidator, parseRules, type InvalidationRecord, type Invalidator } from '../src/app.js'

// An invalidation must survive an invalidator that dies while L2 is unreachable: the event does not count as applied
// (its offset is not committed) until L2 took the delete, so the next invalidator redoes it. Redis stays up behind a
// TCP proxy the test cuts, so the stale entry is really there when the invalidator comes back.
const brokers = await requireKafka()
const redisUrl = await requireRedis()
const prefix = uniqueName('l2-outage')
const topic = uniqueName('shop.orders')
const group = uniqueName('invalidator')
const redis = new Redis(redisUrl)
// The proxy keeps its port across stop() and start(): the invalidator's client reconnects to the same address.
const proxy = new TcpProxy(await freePort(), urlHostPort(redisUrl, 6379))
const transports: KafkaTransport[] = []
const seed = createCache({ l1: false, prefix, l2: redisStore({ url: redisUrl }) })

function startInvalidator(records: InvalidationRecord[]): Invalidator {
  const transport = new KafkaTransport({ brokers, clientId: 'l2-outage-test', log: () => undefined })
  transports.push(transport)
  const invalidator = buildInvalidator({
    transport,
    // The invalidator reaches L2 only through the proxy; its dedupe keeps to the direct connection.
    l2: redisStore({ url: `redis://127.0.0.1:${proxy.port}`, redis: { connectTimeout: 500, commandTimeout: 500 } }),
    publisher: transportInvalidationBus(transport, { instanceId: uniqueName('inv'), topic: uniqueName('test.invalidations') }),
    rules: parseRules(`version: 1\nrules:\n  - name: order\n    topic: ${topic}\n    namespace: orders\n    keys: ['order:{data.id}']\n`, 'rules.yaml'),
    dedupe: new RedisEventDedupe(redis, prefix),
    prefix,
    group,
    retry: { attempts: 3, initialBackoffMs: 50, maxBackoffMs: 200 },
  })
  invalidator.onRecord((record) => records.push(record))
  return invalidator
}

afterAll(async () => {
  await proxy.stop()
  for (const transport of transports) await transport.close()
  await seed.close()
  const leftovers = await redis.keys(`${prefix}*`)
  if (leftovers.length > 0) await redis.del(...leftovers)
  redis.disconnect()
})

it('an invalidator stopped while L2 is unreachable leaves the event to the next one, which deletes the entry', async () => {
  await proxy.start()
  await seed.namespace('orders').set('order:1', { v: 'stale' })
  const first: InvalidationRecord[] = []
  const a = startInvalidator(first)
  await a.start()

  await proxy.stop()
  const producer = new Kafka({ clientId: 'plain-producer', brokers, logLevel: logLevel.NOTHING }).producer()
  await producer.connect()
  const event = { specversion: '1.0', id: randomUUID(), type: 'order.updated', source: 'shop', time: new Date().toISOString(), data: { id: 1 } }
  await producer.send({ topic, acks: -1, messages: [{ key: 'order:1', value: JSON.stringify(event) }] })
  await sleep(3_000)
  expect(first).toEqual([])
  expect(await seed.namespace('orders').get('order:1')).toEqual({ v: 'stale' })
  // The engine did keep the delete for replay — in memory, which is exactly what must not be trusted.
  expect(a.cache.pendingL2Invalidations).toBeGreaterThan(0)
  await a.stop()

  await proxy.start()
  const second: InvalidationRecord[] = []
  const b = startInvalidator(second)
  await b.start()
  await waitUntil(() => second.length === 1, 30_000)
  expect(second[0]).toMatchObject({ trigger: 'event', sourceEventId: event.id, targets: { keys: ['order:1'] } })
  expect(await seed.namespace('orders').get('order:1')).toBeUndefined()
  await b.stop()
  await producer.disconnect()
}, 90_000)
