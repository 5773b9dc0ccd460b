import { randomUUID } from 'node:crypto'
import { DEAD_LETTER_HEADERS, TOPICS, decodeEvent, deadLetterTopic, transportInvalidationBus, type ErrorEvent, type IncomingMessage } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { createCache } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { requireKafka, requireRedis, uniqueName, waitUntil } from '@strata/testkit'
import { Redis } from 'ioredis'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisEventDedupe, buildInvalidator, parseRules, type InvalidationRecord, type Invalidator } from '../src/app.js'
import { CacheProcessHandle } from './support/cache-process-handle.js'

describe('event-based invalidation on real Kafka and Redis', () => {
  const topic = uniqueName('shop.orders')
  const invalidationsTopic = uniqueName('test.invalidations')
  const prefix = uniqueName('inv')
  let brokers: string[]
  let redisUrl: string
  let transport: KafkaTransport
  let invalidator: Invalidator
  let redis: Redis
  let producer: ReturnType<Kafka['producer']>
  const caches: CacheProcessHandle[] = []
  const records: InvalidationRecord[] = []
  const dlq: IncomingMessage[] = []
  const errorEvents: ErrorEvent[] = []
  const seed = createCache({ l1: false, prefix, l2: redisStore({ url: process.env.STRATA_REDIS_URL ?? 'redis://127.0.0.1:6379' }) })

  const send = async (value: string, key = 'k') => {
    await producer.send({ topic, acks: -1, messages: [{ key, value }] })
  }
  const domainEvent = (type: string, data: unknown, id: string = randomUUID()) =>
    JSON.stringify({ specversion: '1.0', id, type, source: 'shop/orders', time: new Date().toISOString(), data })

  beforeAll(async () => {
    brokers = await requireKafka()
    redisUrl = await requireRedis()
    redis = new Redis(redisUrl)
    transport = new KafkaTransport({ brokers, clientId: 'invalidator-test', log: () => undefined })
    const rules = parseRules(
      `version: 1
rules:
  - name: order-updated
    topic: ${topic}
    type: order.updated
    namespace: orders
    keys: ['order:{data.id}']
    prefixes: ['order-lines:{data.id}:']
  - name: customer-changed
    topic: ${topic}
    type: customer.changed
    match: { data.active: false }
    namespace: orders
    tags: ['customer:{data.customer.id}']
`,
      'test-rules.yaml',
    )
    invalidator = buildInvalidator({
      transport,
      l2: redisStore({ url: redisUrl }),
      publisher: transportInvalidationBus(transport, { instanceId: 'invalidator', topic: invalidationsTopic }),
      rules,
      dedupe: new RedisEventDedupe(redis, prefix),
      prefix,
      group: uniqueName('invalidator'),
      retry: { attempts: 2, initialBackoffMs: 20, maxBackoffMs: 100 },
    })
    invalidator.onRecord((record) => records.push(record))
    await transport.subscribe(deadLetterTopic(topic), { group: uniqueName('dlq'), startFrom: 'earliest' }, (message) => {
      dlq.push(message)
      return Promise.resolve()
    })
    // strata.errors.v1 is shared with everything else running: this test's reports name its topic.
    await transport.subscribe(TOPICS.errors, { group: uniqueName('errors'), startFrom: 'latest' }, (message) => {
      const data = decodeEvent(message).data as ErrorEvent
      if (data.service === 'invalidator' && data.message.includes(topic)) errorEvents.push(data)
      return Promise.resolve()
    })
    await invalidator.start()
    const kafka = new Kafka({ clientId: 'plain-producer', brokers, logLevel: logLevel.NOTHING })
    producer = kafka.producer()
    await producer.connect()
    caches.push(
      ...(await Promise.all(['a', 'b'].map((name) => CacheProcessHandle.start({ instanceId: `${name}-${randomUUID()}`, brokers, redisUrl, prefix, topic: invalidationsTopic })))),
    )
  }, 120_000)

  afterAll(async () => {
    await Promise.all(caches.map((cache) => cache.close()))
    await producer?.disconnect()
    await invalidator?.stop()
    await transport?.close()
    await seed.close()
    const keys = await redis.keys(`${prefix}:*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
  }, 60_000)

  it('acceptance 1: an event from a plain kafkajs producer removes the matching entries from L2 and from the L1 of two cache processes', { timeout: 60_000 }, async () => {
    const orders = seed.namespace('orders')
    const keys = ['order:1', 'order:2', 'order-lines:1:a', 'order-lines:1:b', 'order-lines:2:a']
    for (const key of keys) await orders.set(key, { key })
    for (const cache of caches) await cache.load('orders', keys)
    for (const cache of caches) expect(await cache.inL1('orders', keys)).toEqual([true, true, true, true, true])

    const id = randomUUID()
    await send(domainEvent('order.updated', { id: 1, status: 'shipped' }, id), 'order:1')

    await waitUntil(async () => {
      const views = await Promise.all(caches.map((cache) => cache.inL1('orders', keys)))
      return views.every((view) => view.join() === [false, true, false, false, true].join())
    }, 30_000)
    expect(await orders.get('order:1')).toBeUndefined()
    expect(await orders.get('order-lines:1:a')).toBeUndefined()
    expect(await orders.get('order-lines:1:b')).toBeUndefined()
    expect(await orders.get('order:2')).toEqual({ key: 'order:2' })
    expect(await orders.get('order-lines:2:a')).toEqual({ key: 'order-lines:2:a' })

    await waitUntil(() => records.some((r) => r.sourceEventId === id), 30_000)
    const record = records.find((r) => r.sourceEventId === id)!
    expect(record).toMatchObject({ trigger: 'event', rule: 'order-updated', namespace: 'orders', entriesRemoved: 3, targets: { keys: ['order:1'], prefixes: ['order-lines:1:'] } })
    expect(record.latencyMs).toBeGreaterThanOrEqual(0)

    // The same event again (a redelivery, or a producer retry) has no second effect.
    await orders.set('order:1', { key: 'order:1', v: 2 })
    await send(domainEvent('order.updated', { id: 1 }, id), 'order:1')
    await send(domainEvent('order.updated', { id: 2 }), 'order:2')
    await waitUntil(async () => (await orders.get('order:2')) === undefined, 30_000)
    expect(await orders.get('order:1')).toEqual({ key: 'order:1', v: 2 })
    expect(records.filter((r) => r.sourceEventId === id)).toHaveLength(1)
    expect(await invalidator.analytics.metrics()).toMatch(/strata_invalidation_events_total\{outcome="duplicate"\} 1/)
  })

  it('acceptance 2: malformed, schema-invalid and field-lacking events go to the dead-letter topic with the reason; the consumer keeps going', { timeout: 60_000 }, async () => {
    const orders = seed.namespace('orders')
    await orders.set('order:9', 'x')
    await send('{"this is": not json', 'bad-1')
    await send(JSON.stringify({ specversion: '1.0', type: 'order.updated', source: 's', time: new Date().toISOString(), data: { id: 9 } }), 'bad-2')
    await send(domainEvent('order.updated', { order: 9 }), 'bad-3')
    await send(domainEvent('order.updated', { id: 9 }), 'order:9')
    await waitUntil(async () => (await orders.get('order:9')) === undefined, 30_000)
    await waitUntil(() => dlq.length >= 3, 30_000)
    const reasons = Object.fromEntries(dlq.map((message) => [message.key, message.headers[DEAD_LETTER_HEADERS.reason]]))
    expect(reasons['bad-1']).toMatch(/^Invalid JSON/)
    expect(reasons['bad-2']).toMatch(/^Invalid envelope: \/id/)
    expect(reasons['bad-3']).toMatch(/template 'order:\{data\.id\}' needs data\.id, which the event lacks/)
    for (const message of dlq) {
      expect(message.headers[DEAD_LETTER_HEADERS.code]).toBe('E_EVENT_INVALID')
      expect(message.headers[DEAD_LETTER_HEADERS.topic]).toBe(topic)
    }
    expect(dlq.find((m) => m.key === 'bad-1')!.value.toString()).toBe('{"this is": not json')
    // Each dead letter is also reported on strata.errors.v1, where alerting's error rules see it.
    await waitUntil(() => errorEvents.length >= 3, 30_000)
    expect(errorEvents.map((event) => [event.code, event.operation])).toEqual(Array.from({ length: 3 }, () => ['E_EVENT_INVALID', 'invalidate']))
  })

  it('ignores events no rule matches (type or match), and applies tag rules', { timeout: 60_000 }, async () => {
    const orders = seed.namespace('orders')
    await orders.set('order:20', 'x', { tags: ['customer:7'] })
    await send(domainEvent('customer.changed', { active: true, customer: { id: 7 } }))
    await send(domainEvent('order.created', { id: 20 }))
    const id = randomUUID()
    await send(domainEvent('customer.changed', { active: false, customer: { id: 7 } }, id))
    await waitUntil(() => records.some((r) => r.sourceEventId === id), 30_000)
    expect(await orders.get('order:20')).toBeUndefined()
    expect(await invalidator.analytics.metrics()).toMatch(/strata_invalidation_events_total\{outcome="ignored"\} [2-9]/)
  })

  it('manual API: dry-run counts (the one dry run of @strata/invalidation), then invalidates by prefix; problem+json for bad requests', { timeout: 60_000 }, async () => {
    const orders = seed.namespace('orders')
    for (const key of ['m:1', 'm:2', 'm:3', 'n:1']) await orders.set(key, key)
    await orders.set('n:2', 'n:2', { tags: ['t'] })
    await caches[0]!.load('orders', ['m:1', 'n:1'])
    const none = { keys: 0, prefixes: 0, tags: 0, expireTags: 0, all: 0 }
    const dry = await invalidator.http.inject({ method: 'POST', url: '/v1/invalidations', payload: { namespace: 'orders', prefixes: ['m:'], dryRun: true } })
    expect(dry.json()).toEqual({ dryRun: true, namespace: 'orders', counts: { ...none, prefixes: 3 } })
    const dryKeys = await invalidator.http.inject({ method: 'POST', url: '/v1/invalidations', payload: { namespace: 'orders', keys: ['m:1', 'zz'], dryRun: true } })
    expect(dryKeys.json()).toMatchObject({ counts: { ...none, keys: 1 } })
    // Tags are counted too (a scan of the namespace), as the gateway counts them.
    const dryTags = await invalidator.http.inject({ method: 'POST', url: '/v1/invalidations', payload: { namespace: 'orders', tags: ['t'], dryRun: true } })
    expect(dryTags.json()).toMatchObject({ counts: { ...none, tags: 1 } })
    expect(await orders.get('m:1')).toBe('m:1')

    const done = await invalidator.http.inject({ method: 'POST', url: '/v1/invalidations', payload: { namespace: 'orders', prefixes: ['m:'] } })
    expect(done.statusCode).toBe(200)
    expect(done.json().record).toMatchObject({ trigger: 'manual', namespace: 'orders', targets: { prefixes: ['m:'] }, entriesRemoved: 3 })
    expect(await orders.get('m:2')).toBeUndefined()
    expect(await orders.get('n:1')).toBe('n:1')
    await waitUntil(async () => (await caches[0]!.inL1('orders', ['m:1', 'n:1'])).join() === 'false,true', 30_000)

    const bad = await invalidator.http.inject({ method: 'POST', url: '/v1/invalidations', payload: { namespace: 'orders', keys: [], extra: 1 } })
    expect(bad.statusCode).toBe(400)
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(bad.json()).toMatchObject({ status: 400, code: 'E_INVALID_REQUEST' })
    const nothing = await invalidator.http.inject({ method: 'POST', url: '/v1/invalidations', payload: { namespace: 'orders', dryRun: true } })
    expect(nothing.json()).toMatchObject({ status: 400, code: 'E_INVALID_OPTION' })

    expect((await invalidator.http.inject({ url: '/health/live' })).statusCode).toBe(200)
    expect((await invalidator.http.inject({ url: '/health/ready' })).json()).toMatchObject({ status: 'ok', consuming: true })
    const metrics = await invalidator.http.inject({ url: '/metrics' })
    expect(metrics.body).toMatch(/strata_invalidations_total\{trigger="manual",namespace="orders"\} 1/)
    expect(metrics.body).toMatch(/strata_invalidation_latency_seconds\{quantile="0\.99"\} /)
  })
})
