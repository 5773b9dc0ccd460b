import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { eventually } from '@strata/testkit'
import {
  createCache,
  LocalInvalidationBus,
  isStrataError,
  StrataError,
  type BufferedWrite,
  type CreateCacheOptions,
  type L2Store,
  type StrataCache,
} from '../../src/index.js'

/**
 * The engine's behaviour, run unchanged over each L2 (in-process and the real servers). Each test gets its own key
 * prefix, so suites can share a server and run in parallel.
 */
export interface EngineSuiteOptions {
  /**
   * The store for one cache instance. Instances of one test pass the same `testId` and must see the same data: a
   * server-backed factory returns a new client each time, an in-process one the same store for the same id.
   */
  makeStore: (testId: string) => Promise<L2Store> | L2Store
}

export function deferred<T = void>() {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

export class FakeClock {
  now = Date.now()
  readonly read = () => this.now
  advance(ms: number): void {
    this.now += ms
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20))

export function runEngineSuite(name: string, options: EngineSuiteOptions): void {
  describe(`engine on ${name}`, () => {
    const open: StrataCache[] = []
    afterEach(async () => {
      await Promise.all(open.splice(0).map((cache) => cache.close()))
    })

    /** Instances of one test share a prefix (their L2 data) and, when given, a bus. */
    async function instances(count: number, extra: Partial<CreateCacheOptions> = {}): Promise<StrataCache[]> {
      const prefix = `t-${randomUUID().slice(0, 8)}`
      const caches: StrataCache[] = []
      for (let i = 0; i < count; i++) {
        const cache = createCache({ prefix, l2: await options.makeStore(prefix), ...extra })
        await cache.ready
        open.push(cache)
        caches.push(cache)
      }
      return caches
    }

    describe('cache-aside', () => {
      it('sets, gets, and deletes across tiers', async () => {
        const [a, b] = await instances(2)
        expect(await a!.get('k')).toBeUndefined()
        await a!.set('k', { n: 1 })
        expect(await a!.get('k')).toEqual({ n: 1 })
        expect(await b!.get('k')).toEqual({ n: 1 })
        expect(b!.stats().l2Hits).toBe(1)
        expect(await b!.get('k')).toEqual({ n: 1 })
        expect(b!.stats().l1Hits).toBe(1)
        await a!.delete('k')
        expect(await a!.get('k')).toBeUndefined()
        expect(await a!.inspect('k')).toBeUndefined()
      })

      it('getEntry answers the value with its metadata from either tier, like get', async () => {
        const [a, b] = await instances(2)
        expect(await a!.getEntry('k')).toBeUndefined()
        await a!.set('k', { n: 1 }, { tags: ['t'] })
        const info = await a!.inspect('k')
        const fromL1 = await a!.getEntry('k')
        expect(fromL1).toMatchObject({ value: { n: 1 }, version: info!.version, createdAt: info!.createdAt, expiresAt: info!.expiresAt, tags: ['t'] })
        const fromL2 = await b!.getEntry('k')
        expect(fromL2).toMatchObject({ value: { n: 1 }, version: info!.version, expiresAt: info!.expiresAt })
        expect(b!.stats().l2Hits).toBe(1)
        expect(a!.stats().l1Hits).toBe(1)
      })

      it('keeps namespaces apart', async () => {
        const [cache] = await instances(1)
        await cache!.namespace('users').set('1', 'user')
        await cache!.namespace('orders').set('1', 'order')
        expect(await cache!.namespace('users').get('1')).toBe('user')
        expect(await cache!.namespace('orders').get('1')).toBe('order')
        await cache!.namespace('users').clear()
        expect(await cache!.namespace('users').get('1')).toBeUndefined()
        expect(await cache!.namespace('orders').get('1')).toBe('order')
      })

      it('bulk operations answer in order, with gaps', async () => {
        const [a, b] = await instances(2, { bus: new LocalInvalidationBus() })
        await a!.setMany([
          { key: 'x', value: 1 },
          { key: 'y', value: 2 },
          { key: 'z', value: 3, options: { tags: ['odd'] } },
        ])
        expect(await b!.getMany(['z', 'missing', 'x', 'y', 'x'])).toEqual([3, undefined, 1, 2, 1])
        await b!.deleteMany(['x', 'z'])
        await settle()
        expect(await a!.getMany(['x', 'y', 'z'])).toEqual([undefined, 2, undefined])
      })
    })

    describe('read-through and stampede protection', () => {
      it('calls the loader once for 200 concurrent misses in one process', async () => {
        const [cache] = await instances(1)
        let calls = 0
        const gate = deferred()
        const loader = async () => {
          calls++
          await gate.promise
          return 'v'
        }
        const all = Promise.all(Array.from({ length: 200 }, () => cache!.getOrSet('hot', loader)))
        await settle()
        gate.resolve()
        expect(new Set(await all)).toEqual(new Set(['v']))
        expect(calls).toBe(1)
        // One miss started the load; every other read joined it (coalesced) or, where L2 answered after the fill
        // (Redis Cluster queues commands while it maps slots), hit: 199 hits for the ratio either way, not 200 misses.
        const stats = cache!.stats()
        expect(stats).toMatchObject({ misses: 1, loads: 1 })
        expect(stats.coalesced + stats.l1Hits + stats.l2Hits).toBe(199)
        expect(stats.hitRatio).toBeCloseTo(199 / 200, 10)
      })

      it('calls the loader once across instances sharing L2 (fleet lease)', async () => {
        const caches = await instances(3)
        let calls = 0
        const loader = async () => {
          calls++
          await new Promise((resolve) => setTimeout(resolve, 50))
          return 'fleet'
        }
        const results = await Promise.all(caches.flatMap((cache) => Array.from({ length: 30 }, () => cache.getOrSet('k', loader))))
        expect(new Set(results)).toEqual(new Set(['fleet']))
        expect(calls).toBe(1)
      })

      it('a reader waiting on a fill lease that an invalidation removed loads at once, not after the lease ttl', async () => {
        const [a, b, c] = await instances(3)
        const gate = deferred()
        const started = deferred()
        const filling = a!.getOrSet('k', async () => {
          started.resolve()
          await gate.promise
          return 'old'
        })
        await started.promise
        const waitedAt = Date.now()
        const waiting = b!.getOrSet('k', () => 'new')
        await settle()
        await c!.delete('k')
        expect(await waiting).toBe('new')
        // The lease ttl is 10 s; noticing the deleted lease takes one poll (<= 100 ms) and one load.
        expect(Date.now() - waitedAt).toBeLessThan(2_000)
        gate.resolve()
        expect(await filling).toBe('old')
      })

      it('one version per fill: a process that gets the lease after another filled the key re-reads L2 instead of loading again', async () => {
        const prefix = `t-${randomUUID().slice(0, 8)}`
        const leaseGate = deferred()
        const inner = await options.makeStore(prefix)
        let gated = true
        // Holds b's lease request until a's fill is done: the window between b's L2 miss and b's lease.
        const slowLease = new Proxy(inner, {
          get(target, property, receiver) {
            if (property === 'acquireLease') {
              return async (...args: Parameters<L2Store['acquireLease']>) => {
                if (gated) await leaseGate.promise
                return target.acquireLease(...args)
              }
            }
            const value = Reflect.get(target, property, receiver) as unknown
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
          },
        })
        const a = createCache({ prefix, l2: await options.makeStore(prefix) })
        const b = createCache({ prefix, l2: slowLease })
        open.push(a, b)
        const aGate = deferred()
        const aStarted = deferred()
        const filledByA = a.getOrSet('k', async () => {
          aStarted.resolve()
          await aGate.promise
          return 'value'
        })
        await aStarted.promise
        let bLoads = 0
        const filledByB = b.getOrSet('k', () => {
          bLoads++
          return 'value'
        })
        await settle()
        aGate.resolve()
        await filledByA
        gated = false
        leaseGate.resolve()
        expect(await filledByB).toBe('value')
        expect(bLoads).toBe(0)
        expect((await b.inspect('k'))?.version).toBe((await a.inspect('k'))?.version)
      })

      it('versions (the gateway ETags) are integers', async () => {
        const [cache] = await instances(1)
        for (let i = 0; i < 20; i++) {
          await cache!.set(`k${i}`, i)
          expect(Number.isInteger((await cache!.inspect(`k${i}`))?.version)).toBe(true)
        }
      })

      it('batch-loads only what the tiers miss, in one call', async () => {
        const [cache] = await instances(1)
        await cache!.set('a', 'cached-a')
        const batches: string[][] = []
        const values = await cache!.getOrSetMany(['a', 'b', 'c'], async (keys) => {
          batches.push([...keys])
          return new Map(keys.filter((key) => key !== 'c').map((key) => [key, `loaded-${key}`]))
        })
        expect(values).toEqual(['cached-a', 'loaded-b', undefined])
        expect(batches).toEqual([['b', 'c']])
        expect(await cache!.get('b')).toBe('loaded-b')
      })

      it('does not cache a load that an invalidation overtook (no stale set)', async () => {
        const [a, b] = await instances(2)
        const gate = deferred()
        const started = deferred()
        const pending = a!.getOrSet('k', async () => {
          started.resolve()
          await gate.promise
          return 'old'
        })
        // The load must have begun (lease taken, loader running) before the delete; a load that starts after it
        // reads fresh data and may rightly be cached.
        await started.promise
        await b!.delete('k')
        gate.resolve()
        expect(await pending).toBe('old')
        expect(await b!.get('k')).toBeUndefined()
        expect(await a!.namespace('default').inspect('k')).toBeUndefined()
      })

      it('does not cache a tagged load overtaken by its tag invalidation, but keeps unrelated loads', async () => {
        const [cache] = await instances(1)
        const gate = deferred()
        const started = [deferred(), deferred()]
        const tagged = cache!.getOrSet('tagged', async (context) => {
          context.setTags(['t'])
          started[0]!.resolve()
          await gate.promise
          return 'old'
        })
        const unrelated = cache!.getOrSet('unrelated', async () => {
          started[1]!.resolve()
          await gate.promise
          return 'kept'
        })
        await Promise.all(started.map((s) => s.promise))
        await cache!.deleteByTag(['t'])
        gate.resolve()
        expect(await tagged).toBe('old')
        expect(await unrelated).toBe('kept')
        expect(await cache!.get('tagged')).toBeUndefined()
        expect(await cache!.get('unrelated')).toBe('kept')
      })

      it('lets the loader choose ttl and tags from the value', async () => {
        const [cache] = await instances(1)
        await cache!.getOrSet('k', (context) => {
          context.setOptions({ ttl: 123_000, tags: ['from-value'] })
          return 'v'
        })
        const info = await cache!.inspect('k')
        expect(info?.tags).toEqual(['from-value'])
        expect(Math.round((info!.expiresAt - info!.createdAt) / 1000)).toBe(123)
      })

      it('getOrSetEntry answers the value with where it came from and its entry metadata, from the one walk', async () => {
        const [a, b] = await instances(2)
        let loads = 0
        const load = () => ({ n: ++loads })
        const loaded = await a!.getOrSetEntry('k', load, { ttl: 60_000, tags: ['t'] })
        const info = await a!.inspect('k')
        const { value: _value, tier: _tier, state: _state, ...stored } = info!
        expect(loaded).toEqual({ value: { n: 1 }, meta: { source: 'loader', stale: false, cached: true, ...stored } })
        expect(loaded.meta.size).toBeGreaterThan(0)
        const fromL1 = await a!.getOrSetEntry('k', load)
        expect(fromL1).toEqual({ value: { n: 1 }, meta: { ...loaded.meta, source: 'l1' } })
        const fromL2 = await b!.getOrSetEntry('k', load)
        expect(fromL2.value).toEqual({ n: 1 })
        expect(fromL2.meta).toMatchObject({ source: 'l2', stale: false, cached: true, version: info!.version, expiresAt: info!.expiresAt, tags: ['t'] })
        expect(loads).toBe(1)
        expect([a!.stats(), b!.stats()]).toMatchObject([{ l1Hits: 1, misses: 1, loads: 1 }, { l2Hits: 1, misses: 0, loads: 0 }])
        // getOrSet is the same walk without the metadata: it counts and answers alike.
        expect(await b!.getOrSet('k', load)).toEqual({ n: 1 })
        expect(b!.stats().l1Hits).toBe(1)
      })

      it('getOrSetEntry says when a value was answered but not cached', async () => {
        const [cache] = await instances(1)
        const skipped = await cache!.getOrSetEntry('k', (context) => {
          context.skipCache()
          return 'not for keeping'
        })
        expect(skipped).toMatchObject({ value: 'not for keeping', meta: { source: 'loader', stale: false, cached: false } })
        expect(await cache!.inspect('k')).toBeUndefined()
        await expect(cache!.getOrSetEntry('k')).rejects.toMatchObject({ code: 'E_INVALID_OPTION' })
        await expect(cache!.getOrSetEntry('k', () => 1, { ttl: -1 })).rejects.toMatchObject({ code: 'E_INVALID_TTL' })
      })
    })

    describe('grace, fail-safe and timeouts', () => {
      it('serves the stale value when the loader fails, then backs off', async () => {
        const clock = new FakeClock()
        const [cache] = await instances(1, { clock: clock.read, policy: { ttl: 1_000, grace: 60_000, failSafeBackoff: 5_000 } })
        await cache!.getOrSet('k', () => 'v1')
        clock.advance(2_000)
        let calls = 0
        const failing = () => {
          calls++
          throw new Error('origin down')
        }
        const failSafes: unknown[] = []
        cache!.on('fail-safe', (event) => failSafes.push(event))
        expect(await cache!.getOrSet('k', failing)).toBe('v1')
        expect(await cache!.getOrSet('k', failing)).toBe('v1')
        expect(calls).toBe(1)
        expect(failSafes).toHaveLength(1)
        clock.advance(6_000)
        expect(await cache!.getOrSet('k', () => 'v2')).toBe('v2')
      })

      it('getOrSetEntry marks a value served by fail-safe as stale, with the tier it came from', async () => {
        const clock = new FakeClock()
        const [cache] = await instances(1, { clock: clock.read, policy: { ttl: 1_000, grace: 60_000 } })
        const first = await cache!.getOrSetEntry('k', () => 'v1')
        clock.advance(2_000)
        const served = await cache!.getOrSetEntry('k', () => {
          throw new Error('origin down')
        })
        expect(served).toMatchObject({ value: 'v1', meta: { source: 'l1', stale: true, cached: true, version: first.meta.version, expiresAt: first.meta.expiresAt } })
        expect(cache!.stats()).toMatchObject({ staleHits: 1, failSafes: 1 })
      })

      it('fails with E_LOADER_FAILED when nothing stale is left', async () => {
        const clock = new FakeClock()
        const [cache] = await instances(1, { clock: clock.read, policy: { ttl: 1_000, grace: 1_000 } })
        await cache!.getOrSet('k', () => 'v1')
        clock.advance(5_000)
        const error = await cache!.getOrSet('k', () => Promise.reject(new Error('down'))).catch((e: unknown) => e)
        expect(isStrataError(error, 'E_LOADER_FAILED')).toBe(true)
      })

      it('answers stale after the soft timeout and fills the cache when the load finishes', async () => {
        const clock = new FakeClock()
        const [cache] = await instances(1, { clock: clock.read, policy: { ttl: 1_000, grace: 60_000, softTimeout: 20 } })
        await cache!.getOrSet('k', () => 'v1')
        clock.advance(2_000)
        const gate = deferred()
        let finished = false
        const answer = await cache!.getOrSet('k', async () => {
          await gate.promise
          finished = true
          return 'v2'
        })
        expect(answer).toBe('v1')
        expect(finished).toBe(false)
        gate.resolve()
        await eventually(async () => expect(await cache!.get('k')).toBe('v2'), 5_000)
      })

      it('fails with E_LOADER_TIMEOUT after the hard timeout, and the late value still fills the cache', async () => {
        const [cache] = await instances(1, { policy: { hardTimeout: 30 } })
        const gate = deferred()
        const error = await cache!
          .getOrSet('k', async () => {
            await gate.promise
            return 'late'
          })
          .catch((e: unknown) => e)
        expect(isStrataError(error, 'E_LOADER_TIMEOUT')).toBe(true)
        gate.resolve()
        await eventually(async () => expect(await cache!.get('k')).toBe('late'), 5_000)
      })

      it('get() hides stale values unless allowStale is asked', async () => {
        const clock = new FakeClock()
        const [cache] = await instances(1, { clock: clock.read, policy: { ttl: 1_000, grace: 60_000 } })
        await cache!.set('k', 'v')
        clock.advance(2_000)
        expect(await cache!.get('k')).toBeUndefined()
        expect(await cache!.get('k', { allowStale: true })).toBe('v')
        expect(await cache!.getEntry('k')).toBeUndefined()
        expect((await cache!.getEntry('k', { allowStale: true }))?.value).toBe('v')
      })
    })

    describe('refresh-ahead', () => {
      it('starts exactly one background refresh past the threshold and keeps answering meanwhile', async () => {
        const clock = new FakeClock()
        const [cache] = await instances(1, { clock: clock.read, policy: { ttl: 10_000, refreshAhead: 0.5 } })
        let version = 0
        const gate = deferred()
        const loader = async () => {
          version++
          if (version > 1) await gate.promise
          return `v${version}`
        }
        expect(await cache!.getOrSet('k', loader)).toBe('v1')
        clock.advance(4_000)
        expect(await cache!.getOrSet('k', loader)).toBe('v1')
        expect(version).toBe(1)
        clock.advance(2_000)
        const answers = await Promise.all(Array.from({ length: 20 }, () => cache!.getOrSet('k', loader)))
        expect(new Set(answers)).toEqual(new Set(['v1']))
        await eventually(async () => expect(version).toBe(2), 5_000)
        expect(await cache!.getOrSet('k', loader)).toBe('v1')
        expect(version).toBe(2)
        gate.resolve()
        await eventually(async () => expect(await cache!.get('k')).toBe('v2'), 5_000)
        expect(cache!.stats().refreshes).toBe(1)
      })
    })

    describe('write modes', () => {
      it('write-through runs the writer first and leaves the cache untouched when it fails', async () => {
        const origin = new Map<string, unknown>()
        let failNext = false
        const [cache] = await instances(1, {
          namespaces: {
            accounts: {
              writeMode: 'write-through',
              writer: {
                write: async (key, value) => {
                  if (failNext) throw new Error('db down')
                  origin.set(key, value)
                },
                remove: async (key) => {
                  origin.delete(key)
                },
              },
            },
          },
        })
        const accounts = cache!.namespace('accounts')
        await accounts.set('a', 100)
        expect(origin.get('a')).toBe(100)
        expect(await accounts.get('a')).toBe(100)
        failNext = true
        const error = await accounts.set('a', 200).catch((e: unknown) => e)
        expect(isStrataError(error, 'E_WRITER_FAILED')).toBe(true)
        expect(await accounts.get('a')).toBe(100)
        expect(origin.get('a')).toBe(100)
        failNext = false
        await accounts.delete('a')
        expect(origin.has('a')).toBe(false)
      })

      it('cache-through reads with the namespace loader and writes with its writer', async () => {
        const origin = new Map<string, string>([['p1', 'from-db']])
        const [cache] = await instances(1, {
          namespaces: {
            products: {
              writeMode: 'write-through',
              loader: (context) => origin.get(context.key) ?? 'none',
              writer: { write: async (key, value) => void origin.set(key, value as string) },
            },
          },
        })
        const products = cache!.namespace<string>('products')
        expect(await products.getOrSet('p1')).toBe('from-db')
        await products.set('p2', 'written')
        expect(origin.get('p2')).toBe('written')
        expect(await products.getOrSet('p2')).toBe('written')
      })

      it('write-behind enqueues durably before the cache shows the value, with growing versions', async () => {
        const queued: BufferedWrite[] = []
        let reject = false
        const [cache] = await instances(1, {
          queue: {
            enqueue: async (write) => {
              if (reject) throw new Error('queue down')
              queued.push(write)
            },
            discardTagged: () => Promise.resolve(0),
          },
          namespaces: { counters: { writeMode: 'write-behind' } },
        })
        const counters = cache!.namespace('counters')
        await counters.set('c', 1)
        await counters.set('c', 2)
        expect(queued.map((w) => w.value)).toEqual([1, 2])
        expect(queued[1]!.version).toBeGreaterThan(queued[0]!.version)
        reject = true
        const error = await counters.set('c', 3).catch((e: unknown) => e)
        expect(isStrataError(error, 'E_WRITER_FAILED')).toBe(true)
        expect(await counters.get('c')).toBe(2)
      })

      it('write-behind backpressure reaches the caller as E_BACKPRESSURE with retryAfterMs, and the cache is unchanged', async () => {
        let full = false
        const [cache] = await instances(1, {
          queue: {
            enqueue: async () => {
              if (full) throw new StrataError('E_BACKPRESSURE', 'queue full', { context: { retryAfterMs: 750, reason: 'depth' } })
            },
            discardTagged: () => Promise.resolve(0),
          },
          namespaces: { counters: { writeMode: 'write-behind' } },
        })
        const counters = cache!.namespace('counters')
        await counters.set('c', 1)
        full = true
        const error = await counters.set('c', 2).catch((e: unknown) => e)
        expect(isStrataError(error, 'E_BACKPRESSURE')).toBe(true)
        expect((error as StrataError).context.retryAfterMs).toBe(750)
        expect(await counters.get('c')).toBe(1)
      })
    })

    describe('tags', () => {
      it('deleteByTag removes tagged entries from both tiers of every instance', async () => {
        const bus = new LocalInvalidationBus()
        const [a, b] = await instances(2, { bus })
        await a!.set('p1', 'one', { tags: ['product', 'brand:acme'] })
        await a!.set('p2', 'two', { tags: ['product'] })
        await a!.set('other', 'three', { tags: ['brand:other'] })
        expect(await b!.get('p1')).toBe('one')
        expect(await b!.get('p2')).toBe('two')
        await a!.deleteByTag(['product'])
        await settle()
        for (const cache of [a!, b!]) {
          expect(await cache.get('p1')).toBeUndefined()
          expect(await cache.get('p2')).toBeUndefined()
          expect(await cache.get('other')).toBe('three')
        }
      })

      it('a new instance judges L2 entries by the fleet tag records', async () => {
        const [a, b] = await instances(2)
        await a!.set('k', 'v', { tags: ['t'] })
        await a!.deleteByTag(['t'])
        expect(await b!.get('k')).toBeUndefined()
        await a!.set('k', 'fresh', { tags: ['t'] })
        expect(await b!.get('k')).toBe('fresh')
      })

      it('expireByTag turns entries stale: served within grace by fail-safe, refreshed by the next load', async () => {
        const [cache] = await instances(1, { policy: { grace: 60_000 } })
        await cache!.set('k', 'old', { tags: ['t'] })
        await cache!.expireByTag(['t'])
        expect(await cache!.get('k')).toBeUndefined()
        expect(await cache!.get('k', { allowStale: true })).toBe('old')
        expect(await cache!.getOrSet('k', () => Promise.reject(new Error('down')))).toBe('old')
        await cache!.set('k', 'new', { tags: ['t'] })
        expect(await cache!.get('k')).toBe('new')
      })
    })

    describe('per-tier ttl', () => {
      it('an L1 copy past l1Ttl is re-read from L2', async () => {
        const clock = new FakeClock()
        const [a, b] = await instances(2, { clock: clock.read, policy: { ttl: 60_000, l1Ttl: 1_000 } })
        await a!.set('k', 'v1')
        expect(await b!.get('k')).toBe('v1')
        await a!.set('k', 'v2')
        expect(await b!.get('k')).toBe('v1')
        clock.advance(1_500)
        expect(await b!.get('k')).toBe('v2')
      })

      it('l1Ttl 0 keeps no copy L1 would serve: a burst of reads in one tick all go to L2', async () => {
        // The real clock: L1 reads use the coarse one, which lags within a tick (what let a copy "expiring now" serve).
        const [a, b] = await instances(2, { policy: { ttl: 60_000, l1Ttl: 0 } })
        await a!.set('k', 'v1')
        expect(await b!.get('k')).toBe('v1')
        await a!.set('k', 'v2')
        expect(await Promise.all(Array.from({ length: 50 }, () => b!.get('k')))).toEqual(Array.from({ length: 50 }, () => 'v2'))
        expect(b!.stats()).toMatchObject({ l1Hits: 0, l2Hits: 51 })
      })

      it('l1Ttl 0 with grace keeps only a stale copy in L1: the fail-safe fallback, never a fresh hit', async () => {
        const [cache] = await instances(1, { policy: { ttl: 60_000, grace: 60_000, l1Ttl: 0 } })
        await cache!.set('k', 'v')
        await Promise.all(Array.from({ length: 20 }, () => cache!.get('k')))
        expect(cache!.stats().l1Hits).toBe(0)
      })
    })

    describe('conditional writes (setIf / deleteIf)', () => {
      const atVersion = (version: number) => (current: { version: number } | undefined) => current?.version === version || `not at ${version}`

      it('writes when the condition holds, refuses with E_PRECONDITION_FAILED and changes nothing when it does not', async () => {
        const [a, b] = await instances(2)
        await a!.set('k', 'v1')
        const v1 = (await b!.inspect('k'))!.version
        await b!.setIf('k', 'v2', atVersion(v1))
        expect(await b!.get('k')).toBe('v2')
        // a still holds v1 in its L1 (no bus here), but the condition is checked against L2: refused.
        const refused = await a!.setIf('k', 'v3', atVersion(v1)).then(() => undefined, (error: unknown) => error)
        expect(isStrataError(refused, 'E_PRECONDITION_FAILED')).toBe(true)
        expect((refused as Error).message).toContain(`not at ${v1}`)
        expect(await b!.get('k')).toBe('v2')
        // If-None-Match: * — create only.
        await expect(a!.setIf('k', 'v4', (current) => current === undefined)).rejects.toMatchObject({ code: 'E_PRECONDITION_FAILED' })
        await a!.setIf('new', 'n', (current) => current === undefined)
        expect(await b!.get('new')).toBe('n')
      })

      it('setEntry answers the entry it wrote, with or without a condition', async () => {
        const [a, b] = await instances(2)
        const written = await a!.setEntry('k', 'v1', { ttl: 30_000, tags: ['t'] })
        const { value: _value, tier: _tier, state: _state, ...stored } = (await b!.inspect('k'))!
        expect(written).toEqual({ value: 'v1', meta: { source: 'set', stale: false, cached: true, ...stored } })
        expect(written.meta.expiresAt - written.meta.createdAt).toBeCloseTo(30_000, 0)
        const next = await b!.setEntry('k', 'v2', { condition: atVersion(written.meta.version) })
        expect(next.meta.version).toBeGreaterThan(written.meta.version)
        expect((await b!.inspect('k'))?.version).toBe(next.meta.version)
        await expect(a!.setEntry('k', 'v3', { condition: atVersion(written.meta.version) })).rejects.toMatchObject({ code: 'E_PRECONDITION_FAILED' })
        expect(await b!.get('k')).toBe('v2')
      })

      it('of many writers racing from one version on two instances, exactly one wins', async () => {
        const [a, b] = await instances(2)
        await a!.set('race', 0)
        const v0 = (await a!.inspect('race'))!.version
        const attempts = Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? a! : b!).setIf('race', i + 1, atVersion(v0)).then(() => i + 1, () => undefined))
        const winners = (await Promise.all(attempts)).filter((winner) => winner !== undefined)
        expect(winners).toHaveLength(1)
        expect(await a!.get('race')).toBe(winners[0])
        expect(await b!.get('race')).toBe(winners[0])
      })

      it('deleteIf deletes only at the expected version, after its before step', async () => {
        const [a, b] = await instances(2)
        await a!.set('d', 'x')
        const v = (await a!.inspect('d'))!.version
        await expect(b!.deleteIf('d', atVersion(v - 1))).rejects.toMatchObject({ code: 'E_PRECONDITION_FAILED' })
        expect(await b!.get('d')).toBe('x')
        const steps: string[] = []
        await b!.deleteIf('d', atVersion(v), () => {
          steps.push('before')
          return Promise.resolve()
        })
        expect(steps).toEqual(['before'])
        expect(await b!.inspect('d')).toBeUndefined()
      })

      it('deleteIf refuses, and deletes nothing, when a plain write lands between its check and its delete', async () => {
        const [a, b] = await instances(2)
        await a!.set('d', 'x')
        const v = (await a!.inspect('d'))!.version
        const refused = b!.deleteIf('d', atVersion(v), () => a!.set('d', 'newer'))
        await expect(refused).rejects.toMatchObject({ code: 'E_PRECONDITION_FAILED' })
        expect(await b!.get('d')).toBe('newer')
      })
    })

    describe('bad input changes nothing', () => {
      it('refuses keys, values, ttls and tags with typed errors', async () => {
        const [cache, other] = await instances(2, { policy: { maxKeyLength: 16, maxValueBytes: 256 } })
        await cache!.set('keep', 'kept')
        const cases: [() => Promise<unknown>, string][] = [
          [() => cache!.set('k'.repeat(17), 'v'), 'E_KEY_TOO_LONG'],
          [() => cache!.set('', 'v'), 'E_KEY_INVALID'],
          [() => cache!.set('a\nb', 'v'), 'E_KEY_INVALID'],
          [() => cache!.set('keep', 'x'.repeat(1000)), 'E_VALUE_TOO_LARGE'],
          [() => cache!.set('keep', undefined), 'E_VALUE_UNDEFINED'],
          [() => cache!.set('keep', 'v', { ttl: -1 }), 'E_INVALID_TTL'],
          [() => cache!.set('keep', 'v', { ttl: Number.NaN }), 'E_INVALID_TTL'],
          [() => cache!.set('keep', 'v', { ttl: Number.POSITIVE_INFINITY }), 'E_INVALID_TTL'],
          [() => cache!.set('keep', 'v', { ttl: 0 }), 'E_INVALID_TTL'],
          [() => cache!.set('keep', 'v', { tags: [''] }), 'E_INVALID_TAG'],
          [() => cache!.getOrSet('keep', () => 'v', { refreshAhead: 2 }), 'E_INVALID_OPTION'],
        ]
        for (const [attempt, code] of cases) {
          const error = await attempt().catch((e: unknown) => e)
          expect(isStrataError(error) ? error.code : error, code).toBe(code)
        }
        expect(await cache!.get('keep')).toBe('kept')
        // L2 too: another instance reads the value as it was before the refused writes.
        expect(await other!.get('keep')).toBe('kept')
        expect(await other!.get('k'.repeat(16))).toBeUndefined()
      })

      it('refuses a bad namespace name', async () => {
        const [cache] = await instances(1)
        expect(() => cache!.namespace('has:colon')).toThrow(/Namespace/)
      })
    })
  })
}
