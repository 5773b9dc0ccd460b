import { transportInvalidationBus } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { createCache } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { requireKafka, requireRedis, uniqueName, waitUntil } from '@strata/testkit'
import { Redis } from 'ioredis'
import { afterAll, expect, it } from 'vitest'
import { RedisEventDedupe, buildInvalidator, parseRules, type InvalidationRecord } from '../src/app.js'

// Time-based invalidation: a schedule in the rules file purges a prefix on its interval, in L2 and, through
// strata.invalidations.v1 on real Kafka, in the L1 of a cache instance; entries outside the prefix stay.
const brokers = await requireKafka()
const redisUrl = await requireRedis()
const prefix = uniqueName('sched')
const invalidationsTopic = uniqueName('test.invalidations')
const redis = new Redis(redisUrl)
const transport = new KafkaTransport({ brokers, clientId: 'scheduled-purge-test', log: () => undefined })
const cacheTransport = new KafkaTransport({ brokers, clientId: 'scheduled-purge-cache', log: () => undefined })
const cache = createCache({
  prefix,
  l2: redisStore({ url: redisUrl }),
  bus: transportInvalidationBus(cacheTransport, { instanceId: uniqueName('cache'), topic: invalidationsTopic }),
})
const invalidator = buildInvalidator({
  transport,
  l2: redisStore({ url: redisUrl }),
  publisher: transportInvalidationBus(transport, { instanceId: 'invalidator', topic: invalidationsTopic }),
  rules: parseRules(`version: 1\nrules: []\nschedules:\n  - name: carts\n    namespace: carts\n    every: 1000\n    prefix: 'cart:'\n`, 'schedules.yaml'),
  dedupe: new RedisEventDedupe(redis, prefix),
  prefix,
  group: uniqueName('invalidator'),
})

afterAll(async () => {
  await invalidator.stop()
  await cache.close()
  await cacheTransport.close()
  await transport.close()
  const leftovers = await redis.keys(`${prefix}*`)
  if (leftovers.length > 0) await redis.del(...leftovers)
  redis.disconnect()
})

it('purges the prefix on schedule from L2 and from the L1 of a cache instance, and records it', async () => {
  const records: InvalidationRecord[] = []
  invalidator.onRecord((record) => records.push(record))
  await cache.ready
  const carts = cache.namespace('carts')
  await carts.set('cart:1', { items: 1 })
  await carts.set('cart:2', { items: 2 })
  await carts.set('wishlist:1', { items: 3 })
  expect((await carts.inspect('cart:1'))?.tier).toBe('l1')

  await invalidator.start()
  await waitUntil(async () => (await carts.inspect('cart:1')) === undefined && (await carts.inspect('cart:2')) === undefined, 15_000)
  // Gone from L2 too: a cache with no L1 reads the same Redis.
  const l2Only = createCache({ prefix, l1: false, l2: redisStore({ url: redisUrl }) })
  expect(await l2Only.namespace('carts').get('cart:1')).toBeUndefined()
  expect(await l2Only.namespace('carts').get('wishlist:1')).toEqual({ items: 3 })
  await l2Only.close()
  expect(await carts.get('wishlist:1')).toEqual({ items: 3 })
  expect(records[0]).toMatchObject({ trigger: 'schedule', rule: 'carts', namespace: 'carts', entriesRemoved: 2, targets: { prefixes: ['cart:'] } })

  // And again on the next tick: a cart written after the first run is purged by a later one.
  await carts.set('cart:3', { items: 4 })
  await waitUntil(async () => (await carts.inspect('cart:3')) === undefined, 15_000)
  expect(records.length).toBeGreaterThan(1)
}, 60_000)
