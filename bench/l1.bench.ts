import { LRUCache } from 'lru-cache'
import { MemoryTier } from '../packages/core/src/l1/index.js'
import type { EvictionPolicyName } from '../packages/core/src/l1/index.js'
import { median, printReport, round } from './lib/report.js'
import { seededRandom, zipfKeys } from './lib/zipf.js'

/**
 * `pnpm bench l1`: the L1 tier's synchronous `get` (MemoryTier) against lru-cache's `get`, in one process, alternating
 * after a warm-up, median of 7 rounds. Three workloads over string keys:
 * - hit, zipf: 10,000 resident keys read with Zipf 0.9 skew (every read a hit; the common case);
 * - hit, uniform: the same keys read uniformly (every read a hit; the worst case for W-TinyLFU's bookkeeping);
 * - read-through: 100,000 keys with Zipf 0.9 through a 10,000-entry cache, `get` then `set` on a miss.
 * Strata's entries carry a TTL (an hour) unless the name says otherwise; lru-cache is used without one (its floor).
 * The BENCH line reports the zipf hit workload in ops/s.
 */
const ENTRIES = 10_000
const OPS = 1 << 20
const ROUNDS = 7
const HOUR = 3_600_000

interface Contender {
  name: string
  get: (key: string) => unknown
  set: (key: string) => void
}

function strata(policy: EvictionPolicyName, ttl: boolean): Contender {
  const tier = new MemoryTier<number>({ maxEntries: ENTRIES, policy })
  // One expiry time for all (the engine computes it per write; lru-cache reads its own clock instead).
  const expiresAt = ttl ? Date.now() + HOUR : Number.POSITIVE_INFINITY
  return {
    name: `strata ${policy}${ttl ? '' : ' no-ttl'}`,
    get: (key) => tier.get(key),
    set: (key) => {
      tier.set(key, 1, expiresAt)
    },
  }
}

function lruCache(ttl: boolean): Contender {
  const cache = new LRUCache<string, number>(ttl ? { max: ENTRIES, ttl: HOUR } : { max: ENTRIES })
  return {
    name: ttl ? 'lru-cache ttl' : 'lru-cache',
    get: (key) => cache.get(key),
    set: (key) => {
      cache.set(key, 1)
    },
  }
}

const contenders = (): Contender[] => [
  strata('w-tinylfu', true),
  strata('w-tinylfu', false),
  strata('lru', true),
  lruCache(false),
  lruCache(true),
]

function keyOrder(keys: Int32Array, names: readonly string[]): string[] {
  return Array.from(keys, (id) => names[id]!)
}

const names = Array.from({ length: 100_000 }, (_, i) => `user:${i}:profile`)
const random = seededRandom(1)
const workloads: { name: string; order: string[]; readThrough: boolean }[] = [
  {
    name: 'hit, zipf',
    order: keyOrder(zipfKeys({ items: ENTRIES, accesses: OPS, exponent: 0.9, seed: 7 }), names),
    readThrough: false,
  },
  {
    name: 'hit, uniform',
    order: Array.from({ length: OPS }, () => names[Math.floor(random() * ENTRIES)]!),
    readThrough: false,
  },
  {
    name: 'read-through',
    order: keyOrder(zipfKeys({ items: 100_000, accesses: OPS, exponent: 0.9, seed: 8 }), names),
    readThrough: true,
  },
]

/** ops/s of one pass over `order`. */
function pass(contender: Contender, order: readonly string[], readThrough: boolean): number {
  const { get, set } = contender
  let misses = 0
  const started = process.hrtime.bigint()
  for (let i = 0; i < order.length; i++) {
    const key = order[i]!
    if (get(key) === undefined) {
      misses++
      if (readThrough) set(key)
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (!readThrough && misses > 0) throw new Error(`${contender.name}: ${misses} misses on a hit-only workload`)
  return order.length / seconds
}

const medians: Record<string, Record<string, number>> = {}
for (const workload of workloads) {
  const caches = contenders()
  for (const cache of caches) {
    for (let i = 0; i < ENTRIES; i++) cache.set(names[i]!)
    pass(cache, workload.order, workload.readThrough)
  }
  const samples = new Map<string, number[]>(caches.map((cache) => [cache.name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (const cache of caches) samples.get(cache.name)!.push(pass(cache, workload.order, workload.readThrough))
  }
  medians[workload.name] = Object.fromEntries([...samples].map(([name, values]) => [name, median(values)]))
  process.stderr.write(`${workload.name} done\n`)
}

const primary = medians['hit, zipf']!
printReport({
  bench: 'l1',
  metric: 'MemoryTier.get vs lru-cache.get, hits with Zipf 0.9 skew over 10,000 keys',
  unit: 'ops/s',
  higherIsBetter: true,
  results: {
    strata: Math.round(primary['strata w-tinylfu']!),
    'strata-lru': Math.round(primary['strata lru']!),
    'strata-no-ttl': Math.round(primary['strata w-tinylfu no-ttl']!),
    'lru-cache': Math.round(primary['lru-cache']!),
    'lru-cache-ttl': Math.round(primary['lru-cache ttl']!),
  },
  table: Object.entries(medians).flatMap(([workload, byName]) =>
    Object.entries(byName).map(([name, opsPerSecond]) => ({
      workload,
      contender: name,
      'Mops/s': round(opsPerSecond / 1e6, 2),
      'vs lru-cache': round(opsPerSecond / byName['lru-cache']!, 2),
    })),
  ),
  env: {
    rounds: ROUNDS,
    opsPerRound: OPS,
    entries: ENTRIES,
    workloads: Object.fromEntries(
      Object.entries(medians).map(([workload, byName]) => [
        workload,
        Object.fromEntries(Object.entries(byName).map(([name, value]) => [name, Math.round(value)])),
      ]),
    ),
  },
})
