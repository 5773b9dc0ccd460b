import { createCache, memoryStore, type InvalidationMessage, type L2Store, type StrataCache } from '@strata/core'
import { redisStore, type RedisStore } from '@strata/core/redis'
import { requireRedis, uniqueName } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidationExecutor, dryRun, proxyNamespace } from '../src/index.js'

const ITEMS = [
  { key: 'cart:1', tags: ['org:7'] },
  { key: 'cart:2', tags: [] },
  { key: 'cart:3', tags: ['org:8'] },
  { key: 'order:1', tags: ['org:7'] },
  { key: 'order:2', tags: [] },
]

// The one executor and the one dry run over a real store: what the dry run counts is what the executor removes and
// records, and an engine without a bus of its own (the invalidator's) announces each change itself.
describe.each(['memory', 'redis'] as const)('executor and dry run (%s L2)', (kind) => {
  let l2: L2Store
  let cache: StrataCache
  const announced: InvalidationMessage[] = []
  let executor: InvalidationExecutor
  const ns = uniqueName('exec').replace(/[^A-Za-z0-9_.-]/g, '-')

  beforeAll(async () => {
    l2 = kind === 'memory' ? memoryStore() : redisStore({ url: await requireRedis() })
    cache = createCache({ l1: false, l2, prefix: uniqueName('inv') })
    const bus = { publish: (message: InvalidationMessage) => Promise.resolve(void announced.push(message)), subscribe: () => Promise.resolve(() => Promise.resolve()) }
    executor = new InvalidationExecutor({ cache, announce: { bus, origin: 'test' }, requireL2: true, clock: () => 10_000 })
    const namespace = cache.namespace(ns)
    for (const { key, tags } of ITEMS) await namespace.set(key, key, { tags })
    await cache.namespace(proxyNamespace('up')).set('/p/1', 'page', { tags: ['product-1'] })
  })
  afterAll(async () => {
    await cache.namespace(ns).clear()
    await cache.close()
  })

  it('counts keys, prefixes, tags, expireTags and all, changing nothing', async () => {
    const namespace = cache.namespace(ns)
    expect(await dryRun(namespace, { keys: ['cart:1', 'nope'], prefixes: ['cart:', 'order:2'], tags: ['org:7'], expireTags: ['org:8'], all: true })).toEqual({
      keys: 1,
      prefixes: 4,
      tags: 2,
      expireTags: 1,
      all: 5,
    })
    expect(await dryRun(namespace, { tags: ['org:8'] })).toEqual({ keys: 0, prefixes: 0, tags: 1, expireTags: 0, all: 0 })
    expect((await namespace.inspectMany(ITEMS.map((item) => item.key))).every((info) => info !== undefined)).toBe(true)
  })

  it('removes what the dry run counted, records it, and announces each change', async () => {
    const namespace = cache.namespace(ns)
    const counted = await dryRun(namespace, { keys: ['order:2'], prefixes: ['cart:'] })
    const record = await executor.apply({ namespace: ns, keys: ['order:2'], prefixes: ['cart:'], trigger: 'manual', actor: 'key:abc', occurredAt: 9_000 })
    expect(record).toMatchObject({ trigger: 'manual', actor: 'key:abc', namespace: ns, targets: { keys: ['order:2'], prefixes: ['cart:'] }, latencyMs: 1_000, at: 10_000 })
    expect(record.entriesRemoved).toBe(counted.keys! + counted.prefixes!)
    expect(await dryRun(namespace, { keys: ['order:2'], prefixes: ['cart:'] })).toMatchObject({ keys: 0, prefixes: 0 })
    expect(announced.slice(-2)).toEqual([
      { origin: 'test', namespace: ns, kind: 'keys', keys: ['order:2'], at: 10_000 },
      { origin: 'test', namespace: ns, kind: 'prefix', prefix: 'cart:', at: 10_000 },
    ])
  })

  it('deletes and expires by tag (entriesRemoved unknown), and purges an upstream by surrogate key', async () => {
    const namespace = cache.namespace(ns)
    await namespace.set('order:3', 'x', { tags: ['org:9'] })
    const record = await executor.apply({ namespace: ns, tags: ['org:7'], expireTags: ['org:9'], trigger: 'event', rule: 'r', occurredAt: 10_000 })
    expect(record.entriesRemoved).toBeNull()
    expect(await namespace.inspect('order:1')).toBeUndefined()
    expect((await namespace.inspect('order:3'))?.state).not.toBe('fresh')
    const purge = await executor.apply({ upstream: 'up', surrogateKeys: ['product-1'], trigger: 'event', occurredAt: 10_000 })
    expect(purge).toMatchObject({ namespace: null, upstream: 'up', targets: { surrogateKeys: ['product-1'] } })
    expect(await cache.namespace(proxyNamespace('up')).inspect('/p/1')).toBeUndefined()
    expect(announced.slice(-3).map((message) => [message.namespace, message.kind])).toEqual([
      [ns, 'delete-tags'],
      [ns, 'expire-tags'],
      [proxyNamespace('up'), 'delete-tags'],
    ])
  })

  it('a soft surrogate-key purge expires the responses (stale, kept), records soft and announces expire-tags', async () => {
    const proxy = cache.namespace(proxyNamespace('up'))
    await proxy.set('/p/2', 'page', { tags: ['product-2'] })
    const purge = await executor.apply({ upstream: 'up', surrogateKeys: ['product-2'], soft: true, trigger: 'purge', occurredAt: 10_000 })
    expect(purge.targets).toEqual({ surrogateKeys: ['product-2'], soft: true })
    expect((await proxy.inspect('/p/2'))?.state).toBe('stale')
    expect(announced.at(-1)).toMatchObject({ namespace: proxyNamespace('up'), kind: 'expire-tags', tags: ['product-2'] })
  })

  it('refuses URL purges (they need the proxy) instead of ignoring them', async () => {
    await expect(executor.apply({ upstream: 'up', urls: ['/p/1'], trigger: 'purge', occurredAt: 0 })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' })
  })
})

// A key invalidation is on the path of every domain event, before its announcement: its count (the record's
// entriesRemoved) and its delete are one Redis command, so one round trip, not a count and then a delete.
describe('key invalidation on Redis L2', () => {
  let cache: StrataCache
  let store: RedisStore
  const ns = uniqueName('exec-rt').replace(/[^A-Za-z0-9_.-]/g, '-')
  const sent: string[] = []

  beforeAll(async () => {
    store = redisStore({ url: await requireRedis() })
    // Every command the store's client sends (scripts included: defineCommand goes through sendCommand).
    const client = store.client as unknown as { sendCommand: (command: { name: string }, ...rest: unknown[]) => unknown }
    const send = client.sendCommand.bind(client)
    client.sendCommand = (command, ...rest) => {
      sent.push(command.name)
      return send(command, ...rest)
    }
    cache = createCache({ l1: false, l2: store, prefix: uniqueName('inv-rt') })
  })
  afterAll(async () => {
    await cache.namespace(ns).clear()
    await cache.close()
  })

  it('counts and deletes in one Redis command, and counts only the keys that were there', async () => {
    const bus = { publish: () => Promise.resolve(), subscribe: () => Promise.resolve(() => Promise.resolve()) }
    const executor = new InvalidationExecutor({ cache, announce: { bus, origin: 'test' }, requireL2: true })
    const namespace = cache.namespace(ns)
    await namespace.set('warm', 'w')
    // The first run of a script may take two commands (EVALSHA, then EVAL on NOSCRIPT): not what is measured.
    await executor.apply({ namespace: ns, keys: ['warm'], trigger: 'event', occurredAt: 0 })
    await namespace.set('k1', 1)
    await namespace.set('k2', 2)
    sent.length = 0
    const record = await executor.apply({ namespace: ns, keys: ['k1', 'k2', 'absent', 'k1'], trigger: 'event', occurredAt: 0 })
    expect(sent).toHaveLength(1)
    expect(record.entriesRemoved).toBe(2)
    expect(await dryRun(namespace, { keys: ['k1', 'k2'] })).toMatchObject({ keys: 0 })
  })
})
