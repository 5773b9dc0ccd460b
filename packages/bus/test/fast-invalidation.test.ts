import { createCache, memoryStore, type L2Store, type StrataCache } from '@strata/core'
import { TcpProxy, freePort, requireKafka, requireRedis, requireRedisCluster, requireSentinel, uniqueName, urlHostPort, waitUntil } from '@strata/testkit'
import { Cluster, Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { EVENT_HEADERS, INVALIDATION_EVENT_TYPE, transportInvalidationBus, type IncomingMessage, type MessageHandler, type SubscribeOptions, type Transport } from '../src/index.js'
import { RedisInvalidationFanout, fastInvalidationChannel } from '../src/fanout/redis/index.js'
import { KafkaTransport } from '../src/transport/kafka/index.js'

/**
 * The real Kafka transport, but the invalidations it delivers wait until the test releases them: this instance's
 * durable copy arrives as late as the test wants (a lagging consumer). Heartbeats pass, so its L1 stays trusted.
 */
class HeldInvalidations implements Transport {
  readonly name: string
  private held: { message: IncomingMessage; handler: MessageHandler }[] = []

  constructor(
    private readonly inner: KafkaTransport,
    private readonly hold: boolean,
  ) {
    this.name = inner.name
  }

  publish(topic: string, messages: Parameters<Transport['publish']>[1]): Promise<void> {
    return this.inner.publish(topic, messages)
  }

  subscribe(topics: string | readonly string[], options: SubscribeOptions, handler: MessageHandler) {
    return this.inner.subscribe(topics, options, (message) => {
      if (!this.hold || message.headers[EVENT_HEADERS.type] !== INVALIDATION_EVENT_TYPE) return handler(message)
      this.held.push({ message, handler })
      return Promise.resolve()
    })
  }

  /** Delivers what was held, in order. */
  async release(): Promise<number> {
    const held = this.held.splice(0)
    for (const { message, handler } of held) await handler(message)
    return held.length
  }

  get holding(): number {
    return this.held.length
  }

  partitionCount(topic: string): Promise<number> {
    return this.inner.partitionCount(topic)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}

describe('fast invalidation fanout over Redis pub/sub, beside Kafka (real Redis, real Kafka)', () => {
  const closers: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined)
  })

  async function setup(options: { fanoutRedisUrl?: string; holdKafkaOfB: boolean }) {
    const [brokers, redisUrl] = await Promise.all([requireKafka(), requireRedis()])
    const topic = uniqueName('test.fast-invalidations')
    const channel = fastInvalidationChannel(uniqueName('fast'), topic)
    const client = (url: string) => {
      const redis = new Redis(url, { maxRetriesPerRequest: 1 })
      redis.on('error', () => undefined)
      closers.push(() => Promise.resolve(redis.disconnect()))
      return redis
    }
    const transportA = new KafkaTransport({ brokers, clientId: uniqueName('fast-a'), log: () => undefined, maxWaitTimeMs: 100 })
    const transportB = new HeldInvalidations(new KafkaTransport({ brokers, clientId: uniqueName('fast-b'), log: () => undefined, maxWaitTimeMs: 100 }), options.holdKafkaOfB)
    closers.push(() => transportA.close(), () => transportB.close())
    // Created (leaders elected) before two subscribers race to create it.
    await transportA.partitionCount(topic)
    const fanoutErrorsOfA: unknown[] = []
    const l2: L2Store = memoryStore()
    const fanoutRedisOfA = client(options.fanoutRedisUrl ?? redisUrl)
    const fanoutRedisOfB = client(options.fanoutRedisUrl ?? redisUrl)
    const a = createCache({
      l2,
      bus: transportInvalidationBus(transportA, {
        instanceId: uniqueName('a'),
        topic,
        fanout: new RedisInvalidationFanout(fanoutRedisOfA, { channel }),
        onFanoutError: (error) => fanoutErrorsOfA.push(error),
      }),
    })
    const b = createCache({ l2, bus: transportInvalidationBus(transportB, { instanceId: uniqueName('b'), topic, fanout: new RedisInvalidationFanout(fanoutRedisOfB, { channel }) }) })
    closers.push(() => a.close(), () => b.close())
    await Promise.all([a.ready, b.ready])
    return { a, b, transportB, channel, redisUrl, client, fanoutErrorsOfA, fanoutRedisOfA, fanoutRedisOfB }
  }

  /** Keys B dropped because of a message from elsewhere, one entry per application. */
  function remoteDrops(cache: StrataCache, namespace: string): string[] {
    const dropped: string[] = []
    cache.namespace(namespace).on('invalidate', (event) => {
      if (event.remote) dropped.push(...(event.keys ?? event.tags?.map((tag) => `tag:${tag}`) ?? []))
    })
    return dropped
  }

  it("evicts from another instance's L1 through Redis alone while that instance's Kafka copy is held back", { timeout: 60_000 }, async () => {
    const { a, b, transportB } = await setup({ holdKafkaOfB: true })
    const na = a.namespace('orders')
    const nb = b.namespace('orders')
    await na.set('order:1', 'v1')
    await waitUntil(async () => (await nb.get('order:1')) === 'v1' && (await nb.inspect('order:1'))?.tier === 'l1', 20_000)

    await na.set('order:1', 'v2')
    // Kafka has not delivered B's copy (held); only the fast path can have dropped B's L1 copy.
    await waitUntil(async () => (await nb.inspect('order:1'))?.tier !== 'l1', 5_000)
    expect(await nb.get('order:1')).toBe('v2')
    // The durable copies were on their way all along; applied late, they change nothing that is right.
    await waitUntil(() => transportB.holding >= 2, 20_000)
    expect(await transportB.release()).toBeGreaterThanOrEqual(2)
    expect(await nb.get('order:1')).toBe('v2')
  })

  it('still evicts through Kafka when the Redis fast path is cut, and the publisher does not wait for it', { timeout: 60_000 }, async () => {
    const redisUrl = await requireRedis()
    const target = urlHostPort(redisUrl, 6379)
    const proxy = new TcpProxy(await freePort(), target)
    await proxy.start()
    closers.push(() => proxy.stop())
    const { a, b, fanoutErrorsOfA, fanoutRedisOfA, fanoutRedisOfB } = await setup({ fanoutRedisUrl: `redis://127.0.0.1:${proxy.port}`, holdKafkaOfB: false })
    const dropped = remoteDrops(b, 'orders')
    const na = a.namespace('orders')
    const nb = b.namespace('orders')
    await na.set('order:1', 'v1')
    // Both copies of the set's invalidation (fast, then Kafka) have landed before B reads.
    await waitUntil(() => dropped.length === 2, 20_000)
    await nb.get('order:1')
    expect((await nb.inspect('order:1'))?.tier).toBe('l1')
    dropped.length = 0

    await proxy.stop()
    await waitUntil(() => fanoutRedisOfA.status !== 'ready' && fanoutRedisOfB.status !== 'ready', 5_000)
    // Answered once Kafka has it: the fast copy's failure is reported, never the caller's error.
    await na.delete('order:1')
    await waitUntil(() => fanoutErrorsOfA.length > 0, 5_000)

    // The durable copy evicts B's L1 by itself.
    await waitUntil(async () => (await nb.inspect('order:1')) === undefined, 20_000)
    expect(dropped).toEqual(['order:1'])
  })

  it('applies duplicates (fast copy, Kafka copy, a replayed fast copy) without over-evicting what came after', { timeout: 60_000 }, async () => {
    const { a, b, transportB, channel, redisUrl, client } = await setup({ holdKafkaOfB: true })
    const dropped = remoteDrops(b, 'orders')
    // What A sends on the fast channel, as it went out, to replay it later.
    const tap = client(redisUrl)
    const payloads: string[] = []
    tap.on('message', (_channel: string, payload: string) => payloads.push(payload))
    await tap.subscribe(channel)
    const na = a.namespace('orders')
    const nb = b.namespace('orders')

    await na.deleteByTag(['customer:7'])
    await waitUntil(() => dropped.includes('tag:customer:7'), 5_000)
    // Written after the tag was invalidated: no copy of that invalidation may drop it.
    await nb.set('order:9', 'fresh', { tags: ['customer:7'] })
    expect((await nb.inspect('order:9'))?.tier).toBe('l1')

    await waitUntil(() => transportB.holding > 0, 20_000)
    await transportB.release()
    const replay = new Redis(redisUrl)
    closers.push(() => Promise.resolve(replay.disconnect()))
    for (const payload of payloads) await replay.publish(channel, payload)
    await waitUntil(() => dropped.filter((key) => key === 'tag:customer:7').length >= 3, 5_000)

    expect((await nb.inspect('order:9'))?.tier).toBe('l1')
    expect(await nb.get('order:9')).toBe('fresh')
  })

  // PUBLISH on one Cluster node reaches subscribers on every node; a Sentinel client follows the primary.
  const topologies: Record<string, () => Promise<() => Redis | Cluster>> = {
    cluster: async () => {
      const nodes = await requireRedisCluster()
      return () => new Cluster(nodes)
    },
    sentinel: async () => {
      const { sentinels, name } = await requireSentinel()
      return () => new Redis({ sentinels, name })
    },
  }
  it.each(Object.keys(topologies))('carries a message between two clients of a Redis %s', { timeout: 30_000 }, async (topology) => {
    const connect = await topologies[topology]!()
    const [publisherClient, subscriberClient] = [connect(), connect()]
    closers.push(() => Promise.resolve(publisherClient.disconnect()), () => Promise.resolve(subscriberClient.disconnect()))
    const channel = fastInvalidationChannel(uniqueName('fast'), 'strata.invalidations.v1')
    const received: string[] = []
    const stop = await new RedisInvalidationFanout(subscriberClient, { channel, subscribeWaitMs: 10_000 }).subscribe((payload) => received.push(payload))
    closers.push(stop)
    const publisher = new RedisInvalidationFanout(publisherClient, { channel })
    await waitUntil(() => publisherClient.status === 'ready', 10_000)
    await publisher.publish('one')
    await waitUntil(() => received.length === 1, 5_000)
    expect(received).toEqual(['one'])
  })
})
