import { setTimeout as sleep } from 'node:timers/promises'
import { createCache, isStrataError, type StrataError } from '@strata/core'
import { requireQueueRedis, uniqueName } from '@strata/testkit'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { MemoryPendingWrites, writeBehindQueue, type PendingWrites } from '../src/index.js'
import { RedisPendingWrites } from '../src/write-behind/redis/index.js'

const url = await requireQueueRedis()
const client = new Redis(url)
const buffers: RedisPendingWrites[] = []
afterAll(async () => {
  await Promise.all(buffers.map((buffer) => buffer.destroy()))
  client.disconnect()
})

const adapters: Array<[string, () => PendingWrites]> = [
  ['in-process', () => new MemoryPendingWrites()],
  [
    'Redis',
    () => {
      const buffer = new RedisPendingWrites({ client, name: uniqueName('wb') })
      buffers.push(buffer)
      return buffer
    },
  ],
]
const none = { maxDepth: 0, maxLagMs: 0 }
const write = (key: string, version: number, value: unknown, at = 1000) => ({ namespace: 'ns', key, version, value, at })

describe('write-behind buffer on Redis: group commit', () => {
  it('sends a burst of writes made in one turn as one script call', async () => {
    const counting = new Redis(url)
    const buffer = new RedisPendingWrites({ client: counting, name: uniqueName('wb') })
    try {
      const commands = counting as unknown as { strataWbPut: (...args: unknown[]) => Promise<unknown> }
      const original = commands.strataWbPut.bind(counting)
      let calls = 0
      commands.strataWbPut = (...args) => {
        calls++
        return original(...args)
      }
      const burst = Array.from({ length: 100 }, (_, i) => buffer.put(write(`k${i}`, 1, i), none, 1000))
      expect(await Promise.all(burst)).toEqual(Array.from({ length: 100 }, () => ({ accepted: true })))
      expect(calls).toBe(1)
      expect((await buffer.stats(1000)).depth).toBe(100)
    } finally {
      await buffer.destroy()
      counting.disconnect()
    }
  })
})

describe.each(adapters)('write-behind buffer: %s', (_name, make) => {
  it('keeps only the latest version of a key, and acknowledges an older write without applying it', async () => {
    const buffer = make()
    await buffer.put(write('a', 1_700_000_000_000_001, { n: 1 }), none, 1000)
    await buffer.put(write('a', 1_700_000_000_000_003, { n: 3 }, 1001), none, 1001)
    expect(await buffer.put(write('a', 1_700_000_000_000_002, { n: 2 }), none, 1002)).toEqual({ accepted: true })
    expect(await buffer.read([{ namespace: 'ns', key: 'a' }, { namespace: 'ns', key: 'b' }])).toEqual([
      { namespace: 'ns', key: 'a', version: 1_700_000_000_000_003, value: { n: 3 }, at: 1001 },
      undefined,
    ])
    expect(await buffer.stats(1002)).toEqual({ depth: 1, oldestAt: 1000, ready: 1 })
  })

  it('leases claimed keys, oldest first, and hands them out again once the lease lapses', async () => {
    const buffer = make()
    await buffer.put(write('late', 2, 'x', 1005), none, 1005)
    await buffer.put(write('early', 1, 'y', 1001), none, 1005)
    expect(await buffer.claim(1, 1000, 2000)).toEqual([{ namespace: 'ns', key: 'early' }])
    expect(await buffer.claim(10, 1000, 2000)).toEqual([{ namespace: 'ns', key: 'late' }])
    expect(await buffer.claim(10, 1000, 2500)).toEqual([])
    await buffer.renew([{ namespace: 'ns', key: 'early' }], 1000, 2900)
    expect(await buffer.claim(10, 1000, 3100)).toEqual([{ namespace: 'ns', key: 'late' }])
    expect(await buffer.claim(10, 1000, 3950)).toEqual([{ namespace: 'ns', key: 'early' }])
  })

  it('settles a flushed version, but keeps a key written again meanwhile and makes it ready at once', async () => {
    const buffer = make()
    await buffer.put(write('k', 10, 'old', 1000), none, 1000)
    await buffer.put(write('j', 10, 'only', 1000), none, 1000)
    await buffer.claim(10, 60_000, 1000)
    await buffer.put(write('k', 11, 'new', 1500), none, 1500)
    expect(await buffer.settle([{ namespace: 'ns', key: 'k', version: 10 }, { namespace: 'ns', key: 'j', version: 10 }])).toBe(1)
    expect(await buffer.stats(1600)).toEqual({ depth: 1, oldestAt: 1500, ready: 1 })
    expect(await buffer.claim(10, 60_000, 1600)).toEqual([{ namespace: 'ns', key: 'k' }])
    expect(await buffer.settle([{ namespace: 'ns', key: 'k', version: 11 }])).toBe(1)
    expect(await buffer.stats(1700)).toEqual({ depth: 0, oldestAt: undefined, ready: 0 })
  })

  it("discards a namespace's writes carrying a tag, leased or not, and keeps deletes, other tags and other namespaces", async () => {
    const buffer = make()
    const tagged = (namespace: string, key: string, value: unknown, tags: string[]) => ({ ...write(key, 1, value), namespace, tags })
    await buffer.put(tagged('ns', 'a', { pii: 'a' }, ['subject:s1', 'team:x']), none, 1000)
    await buffer.put(tagged('ns', 'b', { pii: 'b' }, ['subject:s1']), none, 1000)
    await buffer.put(tagged('ns', 'gone', null, ['subject:s1']), none, 1000)
    await buffer.put(tagged('ns', 'c', { pii: 'c' }, ['subject:s2']), none, 1000)
    await buffer.put(write('d', 1, { plain: true }), none, 1000)
    await buffer.put(tagged('ns2', 'a', { pii: 'other namespace' }, ['subject:s1']), none, 1000)
    expect((await buffer.read([{ namespace: 'ns', key: 'a' }]))[0]?.tags).toEqual(['subject:s1', 'team:x'])
    // 'a' is claimed by a flush job: a discard still removes it, and the job's read finds nothing to write.
    expect((await buffer.claim(10, 60_000, 1000)).length).toBeGreaterThan(0)

    expect(await buffer.discardTagged('ns', 'subject:s1')).toBe(2)
    const left = await buffer.read(['a', 'b', 'gone', 'c', 'd'].map((key) => ({ namespace: 'ns', key })))
    expect(left.map((entry) => entry?.key)).toEqual([undefined, undefined, 'gone', 'c', 'd'])
    expect((await buffer.read([{ namespace: 'ns2', key: 'a' }]))[0]?.value).toEqual({ pii: 'other namespace' })
    expect((await buffer.stats(1000)).depth).toBe(4)
    expect(await buffer.settle([{ namespace: 'ns', key: 'a', version: 1 }])).toBe(0)
    expect(await buffer.discardTagged('ns', 'subject:s1')).toBe(0)
  })

  it('refuses a new key past maxDepth but still coalesces into a pending one', async () => {
    const buffer = make()
    const limits = { maxDepth: 2, maxLagMs: 0 }
    expect(await buffer.put(write('a', 1, 1), limits, 1000)).toEqual({ accepted: true })
    expect(await buffer.put(write('b', 1, 1), limits, 1000)).toEqual({ accepted: true })
    expect(await buffer.put(write('c', 1, 1), limits, 1000)).toMatchObject({ accepted: false, reason: 'depth', depth: 2 })
    expect(await buffer.put(write('a', 2, 2), limits, 1000)).toEqual({ accepted: true })
  })

  it('applies writes made in one turn in order, exactly as one at a time (coalescing, depth refusals, superseded versions)', async () => {
    const buffer = make()
    const limits = { maxDepth: 2, maxLagMs: 0 }
    const outcomes = await Promise.all([
      buffer.put(write('a', 2, 'a2'), limits, 1000),
      buffer.put(write('a', 1, 'a1'), limits, 1000),
      buffer.put(write('b', 1, 'b1'), limits, 1000),
      buffer.put(write('c', 1, 'c1'), limits, 1000),
      buffer.put(write('b', 3, 'b3'), limits, 1000),
      buffer.put(write('d', 1, 'd1'), { maxDepth: 0, maxLagMs: 0 }, 1000),
    ])
    expect(outcomes).toEqual([
      { accepted: true },
      { accepted: true },
      { accepted: true },
      { accepted: false, reason: 'depth', depth: 2, lagMs: expect.any(Number) },
      { accepted: true },
      { accepted: true },
    ])
    const refs = ['a', 'b', 'c', 'd'].map((key) => ({ namespace: 'ns', key }))
    expect((await buffer.read(refs)).map((pending) => pending?.value)).toEqual(['a2', 'b3', undefined, 'd1'])
  })

  it('refuses every write while the oldest pending write is older than maxLagMs', async () => {
    const buffer = make()
    const limits = { maxDepth: 0, maxLagMs: 500 }
    expect(await buffer.put(write('a', 1, 1, 1000), limits, 1000)).toEqual({ accepted: true })
    expect(await buffer.put(write('b', 1, 1, 1400), limits, 1400)).toEqual({ accepted: true })
    expect(await buffer.put(write('b', 2, 2, 1600), limits, 1600)).toMatchObject({ accepted: false, reason: 'lag', lagMs: 600 })
  })

  it('follows the lag limit within one turn: the first write into an empty buffer starts the clock', async () => {
    const buffer = make()
    const limits = { maxDepth: 0, maxLagMs: 500 }
    const outcomes = await Promise.all([
      buffer.put(write('a', 1, 'a', 1000), limits, 1000),
      buffer.put(write('b', 1, 'b', 1400), limits, 1400),
      buffer.put(write('c', 1, 'c', 1600), limits, 1600),
    ])
    expect(outcomes).toEqual([{ accepted: true }, { accepted: true }, { accepted: false, reason: 'lag', depth: 2, lagMs: 600 }])
  })

  it('claims, renews and settles more keys than one variadic command takes (4,500)', async () => {
    const buffer = make()
    const keys = Array.from({ length: 4500 }, (_, i) => `bulk:${i}`)
    await Promise.all(keys.map((key, i) => buffer.put(write(key, 1, i), none, 1000)))
    const claimed = await buffer.claim(5000, 1000, 1000)
    expect(claimed).toHaveLength(4500)
    await buffer.renew(claimed, 60_000, 1500)
    expect(await buffer.claim(5000, 1000, 3000)).toEqual([])
    const read = await buffer.read(claimed)
    expect(read.filter((pending) => pending !== undefined)).toHaveLength(4500)
    expect(await buffer.settle(read.map((pending) => ({ ...pending!, version: pending!.version })))).toBe(4500)
    expect(await buffer.stats(3000)).toEqual({ depth: 0, oldestAt: undefined, ready: 0 })
  })

  it('settles a key named twice once, with the highest version named', async () => {
    const buffer = make()
    await buffer.put(write('k', 5, 'five'), none, 1000)
    await buffer.put(write('j', 7, 'seven'), none, 1000)
    const k = { namespace: 'ns', key: 'k' }
    const j = { namespace: 'ns', key: 'j' }
    expect(await buffer.settle([{ ...k, version: 3 }, { ...k, version: 5 }, { ...j, version: 7 }, { ...j, version: 7 }])).toBe(2)
    expect(await buffer.stats(1000)).toEqual({ depth: 0, oldestAt: undefined, ready: 0 })
  })

  it('writeBehindQueue rejects with E_BACKPRESSURE and retryAfterMs past a limit', async () => {
    const queue = writeBehindQueue({ pending: make(), maxDepth: 1, maxLagMs: 0, retryAfterMs: 2500 })
    await queue.enqueue({ namespace: 'ns', key: 'a', value: 1, version: 1, at: Date.now() })
    const error = await queue.enqueue({ namespace: 'ns', key: 'b', value: 1, version: 1, at: Date.now() }).catch((e: unknown) => e)
    expect(isStrataError(error, 'E_BACKPRESSURE')).toBe(true)
    expect((error as StrataError).context).toMatchObject({ retryAfterMs: 2500, reason: 'depth', depth: 1, key: 'b' })
    expect(await queue.backpressure()).toMatchObject({ overLimit: true, reason: 'depth', depth: 1, retryAfterMs: 2500 })
  })

  it("writeBehindQueue's block policy waits for room, and rejects when none comes in time", async () => {
    const buffer = make()
    const queue = writeBehindQueue({ pending: buffer, maxDepth: 1, maxLagMs: 0, policy: 'block', blockTimeoutMs: 400 })
    await queue.enqueue({ namespace: 'ns', key: 'a', value: 1, version: 1, at: Date.now() })
    const started = Date.now()
    const timedOut = await queue.enqueue({ namespace: 'ns', key: 'b', value: 1, version: 1, at: Date.now() }).catch((e: unknown) => e)
    expect(isStrataError(timedOut, 'E_BACKPRESSURE')).toBe(true)
    expect(Date.now() - started).toBeGreaterThanOrEqual(390)
    const blocked = queue.enqueue({ namespace: 'ns', key: 'b', value: 2, version: 2, at: Date.now() })
    await sleep(100)
    await buffer.settle([{ namespace: 'ns', key: 'a', version: 1 }])
    await expect(blocked).resolves.toBeUndefined()
  })

  it('a write-behind namespace answers E_BACKPRESSURE from set and leaves the cache unchanged', async () => {
    const cache = createCache({
      queue: writeBehindQueue({ pending: make(), maxDepth: 0, maxLagMs: 200 }),
      namespaces: { orders: { writeMode: 'write-behind' } },
    })
    const orders = cache.namespace<{ total: number }>('orders')
    await orders.set('o1', { total: 1 })
    await sleep(250)
    const error = await orders.set('o1', { total: 2 }).catch((e: unknown) => e)
    expect(isStrataError(error, 'E_BACKPRESSURE')).toBe(true)
    expect((error as StrataError).context).toMatchObject({ reason: 'lag', retryAfterMs: 1000 })
    expect(await orders.get('o1')).toEqual({ total: 1 })
    await cache.close()
  })
})
