import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { EventEnvelope } from '@strata/bus'
import { createCache, type InvalidationMessage, type L2Store, type StrataCache } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { InvalidationExecutor, parseRules } from '@strata/invalidation'
import { requireRedis, uniqueName, waitUntil } from '@strata/testkit'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisEventDedupe, type Claim, type EventDedupe } from '../src/event-dedupe.js'
import { EventInvalidator } from '../src/event-invalidator.js'
import { InvalidationAnalytics } from '../src/invalidation-analytics.js'

// The event claim and the L2 delete of a key-only event are one Redis round trip apart no more: the claim runs
// alongside the delete and only the announcement waits for it. Real Redis (L2 and dedupe); the claim is held open by
// the test to see what happens meanwhile.
describe('event claim alongside the L2 delete (real Redis)', () => {
  const topic = uniqueName('shop.orders')
  const prefix = uniqueName('inv-claim')
  let redis: Redis
  let l2: L2Store
  let cache: StrataCache
  let invalidator: EventInvalidator
  const announced: InvalidationMessage[] = []
  /** L2 writes and deletes, each with whether the claim had been answered when it was sent. */
  const l2Changes: { call: string; claimAnswered: boolean }[] = []
  let gate: Promise<void> = Promise.resolve()
  let claimAnswered = false
  let completes = 0

  beforeAll(async () => {
    const url = await requireRedis()
    redis = new Redis(url)
    const store = redisStore({ url })
    const changing = new Set(['deleteMany', 'deleteManyCounted', 'set', 'setMany', 'clear', 'delete'])
    l2 = new Proxy(store, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver)
        if (typeof value !== 'function') return value
        const method = value as (...args: unknown[]) => unknown
        if (typeof property !== 'string' || !changing.has(property)) return method.bind(target)
        return (...args: unknown[]) => {
          l2Changes.push({ call: property, claimAnswered })
          return method.apply(target, args)
        }
      },
    })
    cache = createCache({ l1: false, l2, prefix })
    const bus = { publish: (message: InvalidationMessage) => Promise.resolve(void announced.push(message)), subscribe: () => Promise.resolve(() => Promise.resolve()) }
    const executor = new InvalidationExecutor({ cache, announce: { bus, origin: 'test' }, requireL2: true })
    const redisDedupe: EventDedupe = new RedisEventDedupe(redis, prefix)
    // The real claim, answered only once the test opens the gate.
    const dedupe: EventDedupe = {
      async claim(eventId, claimant): Promise<Claim> {
        const claim = await redisDedupe.claim(eventId, claimant)
        await gate
        claimAnswered = true
        return claim
      },
      async complete(eventId, token) {
        completes++
        await redisDedupe.complete(eventId, token)
      },
      release: (eventId, token) => redisDedupe.release(eventId, token),
    }
    const rules = parseRules(
      `version: 1
rules:
  - name: order
    topic: ${topic}
    type: order.updated
    namespace: orders
    keys: ['order:{data.id}']
  - name: customer
    topic: ${topic}
    type: customer.changed
    namespace: orders
    tags: ['customer:{data.id}']
`,
      'test-rules.yaml',
    )
    invalidator = new EventInvalidator(rules, executor, dedupe, new InvalidationAnalytics(), () => Promise.resolve())
  })
  afterAll(async () => {
    await cache.namespace('orders').clear()
    for (const key of await redis.keys(`${prefix}:invalidator:*`)) await redis.del(key)
    await cache.close()
    redis.disconnect()
  })

  const event = (type: string, id: number, eventId = randomUUID()): EventEnvelope => ({ specversion: '1.0', id: eventId, type, source: 'shop', time: new Date().toISOString(), data: { id } })
  const holdClaims = () => {
    let open!: () => void
    gate = new Promise((resolve) => (open = resolve))
    claimAnswered = false
    return open
  }

  it('a key-only event: the key is gone from L2 while its claim is still unanswered, and nothing is announced until it is', async () => {
    const orders = cache.namespace('orders')
    await orders.set('order:1', 'v1')
    const open = holdClaims()
    announced.length = 0
    const handled = invalidator.handle(topic, event('order.updated', 1))
    await waitUntil(async () => (await orders.inspect('order:1')) === undefined, 10_000)
    expect(claimAnswered).toBe(false)
    expect(announced).toEqual([])
    open()
    const records = await handled
    expect(records).toMatchObject([{ namespace: 'orders', entriesRemoved: 1 }])
    expect(announced).toMatchObject([{ namespace: 'orders', kind: 'keys', keys: ['order:1'] }])
  })

  it('a redelivered key-only event (claim done) announces nothing, records nothing and completes nothing', async () => {
    const orders = cache.namespace('orders')
    const id = randomUUID()
    await invalidator.handle(topic, event('order.updated', 2, id))
    const completed = completes
    announced.length = 0
    await orders.set('order:2', 'v2')
    expect(await invalidator.handle(topic, event('order.updated', 2, id))).toEqual([])
    expect(announced).toEqual([])
    expect(completes).toBe(completed)
  })

  it('a key-only event another invalidator is applying (claim busy) is retried later: nothing announced, its claim left to it', async () => {
    const id = randomUUID()
    const other = await new RedisEventDedupe(redis, prefix).claim(id)
    announced.length = 0
    await expect(invalidator.handle(topic, event('order.updated', 3, id))).rejects.toMatchObject({ transient: true })
    expect(announced).toEqual([])
    expect(other.outcome === 'new' && (await redis.get(`${prefix}:invalidator:event:${id}`)) === other.token).toBe(true)
  })

  it('an event with a tag rule waits for its claim before it changes anything in L2', async () => {
    const open = holdClaims()
    l2Changes.length = 0
    announced.length = 0
    const handled = invalidator.handle(topic, event('customer.changed', 7))
    // Long enough for a change sent alongside the claim to have been sent.
    await sleep(200)
    open()
    expect(await handled).toMatchObject([{ namespace: 'orders', targets: { tags: ['customer:7'] } }])
    expect(l2Changes.length).toBeGreaterThan(0)
    expect(l2Changes.every((change) => change.claimAnswered)).toBe(true)
    expect(announced).toMatchObject([{ kind: 'delete-tags', tags: ['customer:7'] }])
  })
})
