import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { createCache as createCacheManager } from 'cache-manager'
import { Redis } from 'ioredis'
import { Keyv } from 'keyv'
import { LRUCache } from 'lru-cache'
import { createCache } from '@strata/core'
import type * as StrataCore from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { compareThroughput, type Contender } from './lib/measure.js'
import { printReport, round } from './lib/report.js'

// `pnpm bench core`: the engine's hot paths side by side with lru-cache (the raw floor), bentocache (memory L1)
// and cache-manager (keyv memory), then an L2 hit on real Redis against a raw ioredis GET of the same bytes.
const KEYS = 1_000
const keys = Array.from({ length: KEYS }, (_, i) => `key:${i}`)
const value = { id: 1, name: 'strata', tags: ['a', 'b'], nested: { n: 42 } }
const options = { ops: 200_000, rounds: 7, warmupOps: 100_000 }
const quick = process.argv.includes('--quick')
if (quick) Object.assign(options, { ops: 20_000, rounds: 3, warmupOps: 10_000 })

const strata = createCache({ l1: { maxEntries: 10_000 }, policy: { ttl: 3_600_000 } })
// BENCH_BASELINE_DIR=<an installed checkout of an earlier commit>: that commit's engine runs as one more contender in
// the same rounds, so "not slower than before" is measured in one run (`strata/baseline`).
const baselineDir = process.env.BENCH_BASELINE_DIR
const baseline =
  baselineDir === undefined
    ? undefined
    : ((await import(`${baselineDir}/packages/core/src/index.ts`)) as typeof StrataCore).createCache({ l1: { maxEntries: 10_000 }, policy: { ttl: 3_600_000 } })
const lru = new LRUCache<string, object>({ max: 10_000, ttl: 3_600_000 })
const bento = new BentoCache({ default: 'memory', stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 10_000 })) } })
const manager = createCacheManager({ stores: [new Keyv()] })
for (const key of keys) {
  await strata.set(key, value)
  await baseline?.set(key, value)
  lru.set(key, value)
  await bento.set({ key, value, ttl: '1h' })
  await manager.set(key, value, 3_600_000)
}
const key = (i: number) => keys[i % KEYS]!
const loader = () => value
const withBaseline = (run: (cache: NonNullable<typeof baseline>, i: number) => Promise<unknown>): Record<string, Contender> =>
  baseline === undefined ? {} : { baseline: { sync: false, run: (i) => run(baseline, i) } }

const get = await compareThroughput(
  {
    strata: { sync: false, run: (i) => strata.get(key(i)) },
    // The synchronous L1 read (Caffeine's getIfPresent): no promise, the same copy get answers.
    'strata getIfPresent': { sync: true, run: (i) => strata.getIfPresent(key(i)) },
    ...withBaseline((cache, i) => cache.get(key(i))),
    'lru-cache': { sync: true, run: (i) => lru.get(key(i)) },
    // The await floor: lru-cache's get behind a Promise, what any Promise-returning get costs at least.
    'lru-cache async': { sync: false, run: (i) => Promise.resolve(lru.get(key(i))) },
    bentocache: { sync: false, run: (i) => bento.get({ key: key(i) }) },
    'cache-manager': { sync: false, run: (i) => manager.get(key(i)) },
  },
  options,
)
const getOrSet = await compareThroughput(
  {
    strata: { sync: false, run: (i) => strata.getOrSet(key(i), loader) },
    ...withBaseline((cache, i) => cache.getOrSet(key(i), loader)),
    'lru-cache': { sync: true, run: (i) => lru.get(key(i)) ?? lru.set(key(i), value) },
    bentocache: { sync: false, run: (i) => bento.getOrSet({ key: key(i), factory: loader }) },
    'cache-manager': { sync: false, run: (i) => manager.wrap(key(i), async () => value) },
  },
  options,
)
const set = await compareThroughput(
  {
    strata: { sync: false, run: (i) => strata.set(key(i), value) },
    ...withBaseline((cache, i) => cache.set(key(i), value)),
    'lru-cache': { sync: true, run: (i) => lru.set(key(i), value) },
    bentocache: { sync: false, run: (i) => bento.set({ key: key(i), value, ttl: '1h' }) },
    'cache-manager': { sync: false, run: (i) => manager.set(key(i), value, 3_600_000) },
  },
  // Rounds as long as get's: in rounds of 50,000 writes one garbage-collection pause decided the figure (0.2–2.4 M/s).
  options,
)

// L2 hit: Strata with no L1 reading Redis, against ioredis reading the very bytes Strata stored.
const redisUrl = process.env.STRATA_REDIS_URL ?? 'redis://127.0.0.1:6379'
const l2Only = createCache({ prefix: 'bench-core', l1: false, l2: redisStore({ url: redisUrl }), policy: { ttl: 3_600_000 } })
const raw = new Redis(redisUrl)
for (const k of keys.slice(0, 100)) await l2Only.set(k, value)
const l2Key = (i: number) => `bench-core:default:k:${keys[i % 100]!}`
const l2Contenders: Record<string, Contender> = {
  strata: { sync: false, run: (i) => l2Only.get(keys[i % 100]!) },
  ioredis: { sync: false, run: (i) => raw.getBuffer(l2Key(i)) },
}
const l2 = await compareThroughput(l2Contenders, { ops: quick ? 2_000 : 10_000, rounds: quick ? 3 : 5, warmupOps: 2_000 })

await Promise.all([strata.close(), baseline?.close(), l2Only.close(), bento.disconnectAll()])
raw.disconnect()

const table = [
  { op: 'get (L1 hit)', ...get },
  { op: 'getOrSet (hit)', ...getOrSet },
  { op: 'set', ...set },
  { op: 'get (L2 hit, Redis)', strata: l2.strata, ioredis: l2.ioredis },
]
printReport({
  bench: 'core',
  metric: 'L1-hit get throughput',
  unit: 'ops/s',
  higherIsBetter: true,
  results: get,
  ratios: {
    'getIfPresent strata/lru-cache': round(get['strata getIfPresent']! / get['lru-cache']!),
    'getOrSet strata/lru-cache': round(getOrSet.strata! / getOrSet['lru-cache']!),
    'getOrSet strata/bentocache': round(getOrSet.strata! / getOrSet.bentocache!),
    'getOrSet strata/cache-manager': round(getOrSet.strata! / getOrSet['cache-manager']!),
    'set strata/bentocache': round(set.strata! / set.bentocache!),
    'set strata/lru-cache': round(set.strata! / set['lru-cache']!),
    'set strata/cache-manager': round(set.strata! / set['cache-manager']!),
    'l2get strata/ioredis': round(l2.strata! / l2.ioredis!),
    ...(baseline === undefined
      ? {}
      : {
          'get strata/baseline': round(get.strata! / get.baseline!),
          'getOrSet strata/baseline': round(getOrSet.strata! / getOrSet.baseline!),
          'set strata/baseline': round(set.strata! / set.baseline!),
        }),
  },
  table,
  env: { keys: KEYS, ...options, getOrSet, set, l2Get: l2, ...(baselineDir === undefined ? {} : { baseline: baselineDir }) },
})
