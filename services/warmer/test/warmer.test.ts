import { randomBytes } from 'node:crypto'
import { MemoryTransport, TOPICS, consumeEvents, createEvent, publishEvents, type HotKeysEvent, type WarmEvent } from '@strata/bus'
import { createCache, type StrataCache } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { createDbCache } from '@strata/db-cache'
import { requirePostgres, requireQueueRedis, requireRedis, servers, uniqueName, waitUntil } from '@strata/testkit'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BullmqWarmScheduler, CronWarmScheduler, buildWarmer, type WarmerService } from '../src/app.js'

// Acceptance 4 of issue 7: the warmer fills a cold cache from a cron schedule and from hot keys, and respects its rate
// limit. Caches on real Redis (checked through a second, L1-less instance), schedules as BullMQ job schedulers on the
// queue Redis.
describe('warmer', () => {
  let redisUrl: string
  let queueRedisUrl: string
  const caches: StrataCache[] = []
  const services: WarmerService[] = []
  const schedulers: BullmqWarmScheduler[] = []

  beforeAll(async () => {
    redisUrl = await requireRedis()
    queueRedisUrl = await requireQueueRedis()
  })

  afterEach(async () => {
    for (const service of services.splice(0)) await service.stop()
    for (const scheduler of schedulers.splice(0)) {
      await scheduler.removeAll().catch(() => undefined)
      await scheduler.close().catch(() => undefined)
    }
  })

  afterAll(async () => {
    await Promise.all(caches.map((cache) => cache.close()))
  })

  const newCache = (prefix: string, l1 = true) => {
    const cache = createCache({ prefix, ...(l1 ? { l1: { maxEntries: 1000 } } : { l1: false }), l2: redisStore({ url: redisUrl }) })
    caches.push(cache)
    return cache
  }
  const origin = () => {
    const calls: { key: string; at: number }[] = []
    return { calls, load: (key: string) => Promise.resolve(calls.push({ key, at: performance.now() }) && { key, at: Date.now() }) }
  }
  const events = async (transport: MemoryTransport) => {
    const seen: WarmEvent[] = []
    await consumeEvents(transport, TOPICS.warming, { group: uniqueName('spy'), startFrom: 'earliest' }, (event) => {
      seen.push(event.data as WarmEvent)
      return Promise.resolve()
    })
    return seen
  }

  it('fills a cold cache from a cron schedule (BullMQ job scheduler); later runs find it warm', { timeout: 60_000 }, async () => {
    const prefix = uniqueName('warm')
    const keys = ['product:1', 'product:2', 'product:3', 'product:4', 'product:5']
    const reader = newCache(prefix, false)
    for (const key of keys) expect(await reader.namespace('products').get(key)).toBeUndefined()
    const { calls, load } = origin()
    const transport = new MemoryTransport()
    const seen = await events(transport)
    const scheduler = new BullmqWarmScheduler({ url: queueRedisUrl, name: uniqueName('warmer'), prefix: uniqueName('bull') })
    schedulers.push(scheduler)
    const service = buildWarmer({
      cache: newCache(prefix),
      loaders: { products: load },
      targets: [{ kind: 'keys', name: 'top-products', namespace: 'products', keys, cron: '* * * * * *' }],
      scheduler,
      rate: { perSecond: 100 },
      transport,
    })
    services.push(service)
    await service.start()

    await waitUntil(() => seen.filter((event) => event.state === 'finished').length >= 2, 30_000)
    const finished = seen.filter((event) => event.state === 'finished')
    expect(finished[0]).toMatchObject({ target: 'top-products', trigger: 'schedule', loaded: 5, cached: 0, failed: 0, total: 5 })
    expect(finished[1]).toMatchObject({ trigger: 'schedule', loaded: 0, cached: 5 })
    expect(calls.map((call) => call.key).sort()).toEqual(keys)
    // Another instance (L2 only) now reads every key from the shared tier.
    for (const key of keys) expect(await reader.namespace('products').get(key)).toMatchObject({ key })
  })

  it('warms the hottest keys of a hot-keys report, hottest first', async () => {
    const prefix = uniqueName('warm')
    const { calls, load } = origin()
    const transport = new MemoryTransport()
    const seen = await events(transport)
    const service = buildWarmer({ cache: newCache(prefix), loaders: { sessions: load }, targets: [], scheduler: new CronWarmScheduler(), rate: { perSecond: 1000 }, transport })
    services.push(service)
    await service.start()
    const report: HotKeysEvent = {
      namespace: 'sessions',
      keys: [
        { key: 's:cold', count: 2 },
        { key: 's:hot', count: 900 },
        { key: 's:warm', count: 40 },
      ],
      windowMs: 60_000,
      at: Date.now(),
    }
    await publishEvents(transport, TOPICS.hotKeys, [createEvent({ type: 'strata.hot-keys.v1', source: 'test/analytics', subject: 'sessions', data: report })])
    // A namespace without a loader is ignored, not an error.
    await publishEvents(transport, TOPICS.hotKeys, [createEvent({ type: 'strata.hot-keys.v1', source: 'test/analytics', subject: 'other', data: { ...report, namespace: 'other' } })])
    await waitUntil(() => seen.some((event) => event.state === 'finished'), 10_000)
    expect(seen.find((event) => event.state === 'finished')).toMatchObject({ target: 'hot-keys.sessions', trigger: 'hot-keys', loaded: 3 })
    expect(calls.map((call) => call.key).slice(0, 1)).toEqual(['s:hot'])
    const reader = newCache(prefix, false)
    expect(await reader.namespace('sessions').get('s:warm')).toMatchObject({ key: 's:warm' })
  })

  it('never loads faster than its rate limit, across concurrent runs', { timeout: 30_000 }, async () => {
    const { calls, load } = origin()
    const keys = Array.from({ length: 30 }, (_, i) => `k:${i}`)
    const service = buildWarmer({
      cache: newCache(uniqueName('warm')),
      loaders: { items: load },
      targets: [
        { kind: 'keys', name: 'a', namespace: 'items', keys: keys.slice(0, 15) },
        { kind: 'keys', name: 'b', namespace: 'items', keys: keys.slice(15) },
      ],
      scheduler: new CronWarmScheduler(),
      rate: { perSecond: 20, burst: 2 },
    })
    services.push(service)
    await service.start()
    const [a, b] = await Promise.all([service.run('a'), service.run('b')])
    expect(a.loaded + b.loaded).toBe(30)
    // A token bucket admits at most burst + rate × window loads in any window.
    const times = calls.map((call) => call.at).sort((x, y) => x - y)
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter((t) => t >= times[i]! && t < times[i]! + 500).length
      expect(inWindow).toBeLessThanOrEqual(2 + 20 * 0.5)
    }
    // ...and did not just stall: every key was loaded once.
    expect(new Set(calls.map((call) => call.key)).size).toBe(30)
  })

  it('warms on start (after a deploy) and warms query results through the database cache', async () => {
    await requirePostgres()
    const schema = `warm_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
    const admin = new pg.Pool({ connectionString: servers.postgresUrl, max: 2 })
    await admin.query(`CREATE SCHEMA ${schema}`)
    await admin.query(`CREATE TABLE ${schema}.products (id int PRIMARY KEY, name text)`)
    await admin.query(`INSERT INTO ${schema}.products VALUES (1, 'a'), (2, 'b')`)
    const cache = newCache(uniqueName('warm'))
    const db = createDbCache({ pool: new pg.Pool({ connectionString: servers.postgresUrl, max: 2 }), cache })
    const sql = `SELECT id, name FROM ${schema}.products WHERE id = $1`
    try {
      const service = buildWarmer({
        cache,
        db,
        loaders: {},
        targets: [{ kind: 'queries', name: 'products', onStart: true, queries: [{ sql, params: [[1], [2]] }] }],
        scheduler: new CronWarmScheduler(),
        rate: { perSecond: 100 },
      })
      services.push(service)
      await service.start()
      expect(db.statsOf(sql)).toMatchObject({ misses: 2, hits: 0 })
      await db.query(sql, [2])
      expect(db.statsOf(sql)).toMatchObject({ misses: 2, hits: 1 })
      expect(await service.run('products')).toMatchObject({ loaded: 0, cached: 2 })
    } finally {
      await db.end()
      await admin.query(`DROP SCHEMA ${schema} CASCADE`)
      await admin.end()
    }
  })

  it('refresh-ahead: reloads cached keys that expire within the window, leaves the others alone', async () => {
    const { calls, load } = origin()
    const cache = newCache(uniqueName('warm'))
    const items = cache.namespace('items')
    await items.set('soon', { key: 'soon', at: 0 }, { ttl: 2_000 })
    await items.set('later', { key: 'later', at: 0 }, { ttl: 600_000 })
    const service = buildWarmer({
      cache,
      loaders: { items: load },
      targets: [{ kind: 'keys', name: 'refresh', namespace: 'items', keys: ['soon', 'later', 'missing'], refreshAheadMs: 10_000 }],
      scheduler: new CronWarmScheduler(),
      rate: { perSecond: 100 },
    })
    services.push(service)
    await service.start()
    expect(await service.run('refresh')).toMatchObject({ loaded: 2, cached: 1, failed: 0 })
    expect(calls.map((call) => call.key).sort()).toEqual(['missing', 'soon'])
    const refreshed = await items.inspect('soon')
    expect(refreshed!.value).not.toEqual({ key: 'soon', at: 0 })
    expect(refreshed!.expiresAt - Date.now()).toBeGreaterThan(10_000)
    expect(await items.get('later')).toEqual({ key: 'later', at: 0 })
  })

  it('refuses a bad plan with E_INVALID_OPTION', () => {
    const base = { cache: newCache(uniqueName('warm')), loaders: { items: () => Promise.resolve(1) }, scheduler: new CronWarmScheduler(), rate: { perSecond: 10 } }
    const target = { kind: 'keys' as const, name: 't', namespace: 'items', keys: ['a'] }
    expect(() => buildWarmer({ ...base, targets: [target, target] })).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }))
    expect(() => buildWarmer({ ...base, targets: [{ ...target, cron: 'every now and then' }] })).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }))
    expect(() => buildWarmer({ ...base, targets: [{ ...target, namespace: 'nope' }] })).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }))
    expect(() => buildWarmer({ ...base, targets: [{ kind: 'queries', name: 'q', queries: [{ sql: 'SELECT 1' }] }] })).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }))
    expect(() => buildWarmer({ ...base, targets: [], rate: { perSecond: 0 } })).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }))
  })
})
