import { describe, expect, it } from 'vitest'
import { memoryStore } from '../stores/memory/memory-store.js'
import type { CacheEventMap } from './cache-events.js'
import type { CacheHook, HookStage } from './cache-hooks.js'
import { LocalInvalidationBus } from './local-bus.js'
import { createCache } from './strata-cache.js'

/** A hook that records `<name>:<stage>:<key>` into a shared log for every stage. */
function recorder(name: string, log: string[], order?: number): CacheHook {
  const note = (stage: HookStage, key = '') => log.push(`${name}:${stage}:${key}`)
  return {
    name,
    ...(order === undefined ? {} : { order }),
    beforeGet: ({ key }) => void note('beforeGet', key),
    afterLoad: ({ key }) => void note('afterLoad', key),
    beforeSet: ({ key }) => void note('beforeSet', key),
    onEvict: ({ key }) => void note('evict', key),
    onInvalidate: ({ keys }) => void note('invalidate', keys?.join(',')),
    onError: ({ operation }) => void note('error', operation),
  }
}

describe('cache hooks', () => {
  it('run at each stage, by order and then registration order', async () => {
    const log: string[] = []
    const cache = createCache({ l1: { maxEntries: 100 }, l2: memoryStore(), hooks: [recorder('late', log, 10)] })
    cache.use(recorder('first', log, -5))
    cache.use(recorder('second', log))
    cache.use(recorder('third', log))

    await cache.set('a', 1)
    expect(log).toEqual(['first:beforeSet:a', 'second:beforeSet:a', 'third:beforeSet:a', 'late:beforeSet:a', 'first:invalidate:a', 'second:invalidate:a', 'third:invalidate:a', 'late:invalidate:a'])

    log.length = 0
    expect(await cache.get('a')).toBe(1)
    expect(log).toEqual(['first:beforeGet:a', 'second:beforeGet:a', 'third:beforeGet:a', 'late:beforeGet:a'])

    log.length = 0
    expect(await cache.getOrSet('b', () => 2)).toBe(2)
    expect(log.filter((line) => line.startsWith('first:'))).toEqual(['first:beforeGet:b', 'first:afterLoad:b'])

    log.length = 0
    await cache.getMany(['a', 'b'])
    expect(log.filter((line) => line.startsWith('second:'))).toEqual(['second:beforeGet:a', 'second:beforeGet:b'])
    await cache.close()
  })

  it('isolates a hook that throws: the request succeeds, later hooks still run, the failure is reported and counted', async () => {
    const errors: CacheEventMap['error'][] = []
    const ran: string[] = []
    const cache = createCache({ l2: memoryStore() })
    cache.on('error', (event) => errors.push(event))
    cache.use({
      name: 'broken',
      beforeGet: () => {
        throw new Error('boom in beforeGet')
      },
      beforeSet: () => {
        throw new Error('boom in beforeSet')
      },
      afterLoad: () => {
        throw new Error('boom in afterLoad')
      },
    })
    cache.use({ name: 'after-broken', beforeGet: ({ key }) => void ran.push(key), beforeSet: ({ key }) => void ran.push(`set ${key}`) })

    await cache.set('k', 'v')
    expect(await cache.get('k')).toBe('v')
    expect(await cache.getOrSet('loaded', () => 'x')).toBe('x')
    expect(ran).toEqual(['set k', 'k', 'loaded'])
    expect(cache.hookFailures).toBe(4)
    expect(errors.map((event) => [event.operation, event.error.code, event.error.context.hook])).toEqual([
      ['hook:beforeSet', 'E_HOOK_FAILED', 'broken'],
      ['hook:beforeGet', 'E_HOOK_FAILED', 'broken'],
      ['hook:beforeGet', 'E_HOOK_FAILED', 'broken'],
      ['hook:afterLoad', 'E_HOOK_FAILED', 'broken'],
    ])
    expect(errors[0]!.error.message).toContain('boom in beforeSet')
    await cache.close()
  })

  it('isolates a hook whose promise rejects', async () => {
    const errors: CacheEventMap['error'][] = []
    const cache = createCache({ l2: memoryStore() })
    cache.on('error', (event) => errors.push(event))
    cache.use({ name: 'async-broken', beforeSet: () => Promise.reject(new Error('async boom')) })
    await cache.set('k', 'v')
    expect(await cache.get('k')).toBe('v')
    await new Promise((resolve) => setImmediate(resolve))
    expect(cache.hookFailures).toBe(1)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ namespace: 'default', key: 'k', operation: 'hook:beforeSet' })
    expect(errors[0]!.error.code).toBe('E_HOOK_FAILED')
    await cache.close()
  })

  it('does not loop when an onError hook itself fails', async () => {
    const errors: CacheEventMap['error'][] = []
    const cache = createCache({ l2: memoryStore() })
    cache.on('error', (event) => errors.push(event))
    let calls = 0
    cache.use({
      name: 'bad-on-error',
      beforeGet: () => {
        throw new Error('first')
      },
      onError: () => {
        calls++
        throw new Error('second')
      },
    })
    await cache.get('missing')
    // The beforeGet failure is reported as an event only (hook failures never re-enter hooks).
    expect(calls).toBe(0)
    expect(errors).toHaveLength(1)
    await cache.close()
  })

  it('hands engine errors to onError hooks', async () => {
    const seen: string[] = []
    const cache = createCache({ l2: memoryStore(), policy: { maxValueBytes: 64 } })
    cache.use({ name: 'errors', onError: ({ operation, error }) => void seen.push(`${operation}:${error.code}`) })
    // A loaded value too large to store is answered and reported, not thrown.
    expect(await cache.getOrSet('big', () => 'x'.repeat(1_000))).toHaveLength(1_000)
    expect(seen).toEqual(['store:E_VALUE_TOO_LARGE'])
    await cache.close()
  })

  it('reports evictions and remote invalidations', async () => {
    const bus = new LocalInvalidationBus()
    const l2 = memoryStore()
    const evicted: string[] = []
    const remote: string[] = []
    const a = createCache({ l1: { maxEntries: 2, policy: 'lru' }, l2, bus })
    const b = createCache({ l2, bus })
    await Promise.all([a.ready, b.ready])
    a.use({ name: 'evictions', onEvict: ({ key, cause }) => void evicted.push(`${key}:${cause}`) })
    a.use({ name: 'remote', onInvalidate: ({ keys, remote: isRemote }) => void (isRemote && remote.push(keys?.join(',') ?? '')) })
    for (const key of ['1', '2', '3']) await a.set(key, key)
    expect(evicted).toEqual(['1:evicted'])
    await b.delete('2')
    expect(remote).toEqual(['2'])
    await a.close()
    await b.close()
  })

  it('stops calling a removed hook, and restores the fast read path', async () => {
    const log: string[] = []
    const cache = createCache({ l2: memoryStore() })
    const remove = cache.use(recorder('gone', log))
    await cache.set('a', 1)
    remove()
    await cache.get('a')
    await cache.set('b', 2)
    expect(log).toEqual(['gone:beforeSet:a', 'gone:invalidate:a'])
    expect(cache.listHooks()).toEqual([])
    await cache.close()
    await expect(cache.get('a')).rejects.toMatchObject({ code: 'E_CACHE_CLOSED' })
  })

  it('refuses a hook without a name or with a non-finite order', () => {
    const cache = createCache()
    expect(() => cache.use({ name: '' })).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }))
    expect(() => cache.use({ name: 'x', order: Number.NaN })).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }))
    void cache.close()
  })
})
