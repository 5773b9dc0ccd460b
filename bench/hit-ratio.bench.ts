import { basename } from 'node:path'
import { parseArgs } from 'node:util'
import { LRUCache } from 'lru-cache'
import { ADVERSARIAL_FAMILIES, ADVERSARIAL_LENGTHS, compact } from '@strata/testkit'
import { MemoryTier } from '../packages/core/src/l1/index.js'
import type { EvictionPolicyName } from '../packages/core/src/l1/index.js'
import { beladyHitRatio, beladySizedHitRatio } from './lib/belady.js'
import { round, printReport } from './lib/report.js'
import { keyNames, replay, strataTier, type Access } from './lib/simulate.js'
import { PUBLIC_TRACES, formatOf, locateTrace, locateTracesDir, readTrace, type Trace, type TraceFormat } from './lib/traces.js'
import { loopKeys, seededRandom, zipfKeys, zipfWithScans } from './lib/zipf.js'

/**
 * `pnpm bench hit-ratio [--all] [--no-bytes] [--seeds 1,2,3] [--trace FILE [--sizes 250,1000,2000] [--format lines|lis]]`
 *
 * Hit ratio (%) of Strata's L1 policies (adaptive W-TinyLFU, LRU), as the shipped MemoryTier, against lru-cache and
 * Belády's optimum (a new key may bypass the cache), on generated workloads (Zipf, and the adversarial families of
 * @strata/testkit at several sizes, 5 and 20 × the cache long) and on the public traces of ../shared/traces. Every cache
 * runs cache-aside: a miss inserts the key. Each policy's replay throughput (accesses/s through MemoryTier) is reported.
 *
 * Then the same workloads on a byte budget (unless --no-bytes): every key gets a size of 1–64 units (fixed per key,
 * skewed small), the tiers are bounded by `maxBytes` = size × the mean key size, and the reference is Belády's rule on
 * bytes (bench/lib/belady.ts: beladySizedHitRatio).
 *
 * The hash seed changes which keys the miniature simulations sample, so one seed's run can hide a cell that falls
 * below LRU with another (a cache's default seed is derived from its configuration: users get many). With `--seeds`
 * W-TinyLFU runs once per seed; the figures are the mean, and the acceptance also counts cells whose worst seed falls
 * more than a point below LRU.
 *
 * The acceptance figures are summarised per mode: cells below LRU − 1 point, the worst cell against LRU, and the mean
 * share of the LRU→OPT gap W-TinyLFU closes over cells where OPT − LRU ≥ 1 point. The BENCH line's results are the
 * means over the public-trace cases (unit entries): `strata` (W-TinyLFU), `strata-lru`, `lru-cache` and `opt`.
 * Traces: LIRS (Jiang & Zhang, SIGMETRICS 2002) and ARC (Megiddo & Modha, FAST 2003).
 */
const { values } = parseArgs({
  options: {
    trace: { type: 'string' },
    sizes: { type: 'string' },
    format: { type: 'string' },
    all: { type: 'boolean', default: false },
    'no-bytes': { type: 'boolean', default: false },
    seed: { type: 'string', default: String(0x5eed) },
    seeds: { type: 'string' },
  },
})
const seed = Number(values.seed)
/** W-TinyLFU's seeds (`--seeds`, else `--seed` alone); LRU does not depend on the seed. */
const seeds = (values.seeds ?? values.seed).split(',').map(Number)
if (seeds.some((s) => !Number.isInteger(s))) {
  console.error(`--seeds must be integers separated by commas, got ${JSON.stringify(values.seeds)}`)
  process.exit(2)
}

interface Workload {
  name: string
  group: 'generated' | 'public' | 'user'
  load: () => Trace
  sizes: number[]
}

interface CaseResult {
  workload: string
  group: Workload['group']
  size: number
  accesses: number
  /** W-TinyLFU: the mean over the seeds, and the worst seed. */
  strata: number
  strataWorst: number
  strataLru: number
  lruCache: number
  opt: number
  /** Replay throughput through MemoryTier, accesses/s. */
  strataSpeed: number
  strataLruSpeed: number
  /** The byte-budget run (undefined with --no-bytes or for a user trace). */
  bytes?: { strata: number; strataWorst: number; strataLru: number; opt: number }
}

function lruCache(capacity: number, names: readonly string[]): Access {
  const cache = new LRUCache<string, boolean>({ max: capacity })
  return (key) => {
    const name = names[key]!
    if (cache.get(name) !== undefined) return true
    cache.set(name, true)
    return false
  }
}

function generated(name: string, keys: Int32Array, sizes: number[]): Workload {
  let distinct = 0
  for (const key of keys) if (key >= distinct) distinct = key + 1
  return { name, group: 'generated', load: () => ({ name, keys, distinct }), sizes }
}

function generatedWorkloads(): Workload[] {
  const zipf = (exponent: number) => zipfKeys({ items: 100_000, accesses: 1_000_000, exponent, seed: 42 })
  return [
    generated('zipf 0.7', zipf(0.7), [1000, 10_000]),
    generated('zipf 0.9', zipf(0.9), [1000, 10_000]),
    generated('zipf 1.1', zipf(1.1), [1000, 10_000]),
    generated('loop 1.5× cache', loopKeys(1500, 300_000), [1000]),
    generated(
      'zipf 0.9 + scans',
      zipfWithScans({ items: 100_000, accesses: 1_000_000, exponent: 0.9, seed: 43 }, 50_000, 20_000),
      [1000, 10_000],
    ),
    ...adversarialWorkloads(),
  ]
}

/** The adversarial families at three sizes, each 5 and 20 × the cache long (one trace per family, size and length). */
function adversarialWorkloads(): Workload[] {
  return ADVERSARIAL_FAMILIES.flatMap((family) =>
    [256, 1000, 4000].flatMap((size) =>
      ADVERSARIAL_LENGTHS.map((length) => {
        const name = `${family.name} ${length}×`
        const load = (): Trace => ({ name, ...compact(family.generate(size, length * size, 11)) })
        return { name, group: 'generated' as const, load, sizes: [size] }
      }),
    ),
  )
}

/** The README's sizes, Caffeine's chart sizes for gli and OLTP, and with --all a few more. */
function publicWorkloads(dir: string | undefined, all: boolean): Workload[] {
  const extra: Record<string, number[]> = all
    ? { gli: [500, 1500], OLTP: [250, 500, 1500, 2000], multi2: [512, 2048], sprite: [512], '2_pools': [512], P3: [20_000, 40_000] }
    : { gli: [500, 1500], OLTP: [250, 2000] }
  return PUBLIC_TRACES.flatMap((trace) => {
    const path = locateTrace(trace.file, dir)
    if (path === undefined) return []
    return [
      {
        name: trace.name,
        group: 'public' as const,
        load: () => readTrace(path),
        sizes: [...new Set([...trace.cases.map((c) => c.size), ...(extra[trace.name] ?? [])])].sort((a, b) => a - b),
      },
    ]
  })
}

/** Hit ratio (%) and accesses/s of one policy over a trace, through the shipped tier. */
function timedReplay(keys: Int32Array, access: Access): { ratio: number; speed: number } {
  const started = performance.now()
  const ratio = replay(keys, access)
  return { ratio, speed: keys.length / ((performance.now() - started) / 1000) }
}

/** W-TinyLFU once per seed: mean and worst hit ratio, and the first seed's replay throughput. */
function seededReplays(keys: Int32Array, access: (seed: number) => Access): { ratio: number; worst: number; speed: number } {
  const runs = seeds.map((s) => timedReplay(keys, access(s)))
  return { ratio: mean(runs.map((r) => r.ratio)), worst: Math.min(...runs.map((r) => r.ratio)), speed: runs[0]!.speed }
}

/** Each key's size on a byte budget: 1–64 units, skewed small (a cubed uniform), fixed per key. */
function keySizes(distinct: number): Int32Array {
  const sizes = new Int32Array(distinct)
  const random = seededRandom(0x517e)
  for (let key = 0; key < distinct; key++) sizes[key] = 1 + Math.floor(63 * random() ** 3)
  return sizes
}

/** A tier bounded by bytes (the entry bound never binds) as a cache-aside simulator. */
function bytesTier(policy: EvictionPolicyName, budget: number, names: readonly string[], sizes: Int32Array, tierSeed = seed): Access {
  const tier = new MemoryTier<boolean>({ maxEntries: Math.max(1, budget), maxBytes: budget, policy, seed: tierSeed })
  return (key) => {
    const name = names[key]!
    if (tier.get(name) !== undefined) return true
    tier.set(name, true, Number.POSITIVE_INFINITY, sizes[key])
    return false
  }
}

function run(workloads: Workload[], bytes: boolean): CaseResult[] {
  const results: CaseResult[] = []
  for (const workload of workloads) {
    const started = performance.now()
    const trace = workload.load()
    const names = keyNames(trace.distinct)
    const sizes = bytes ? keySizes(trace.distinct) : undefined
    let meanSize = 0
    if (sizes !== undefined) {
      for (let i = 0; i < trace.keys.length; i++) meanSize += sizes[trace.keys[i]!]!
      meanSize /= Math.max(1, trace.keys.length)
    }
    for (const size of workload.sizes) {
      const tinyLfu = seededReplays(trace.keys, (s) => strataTier('w-tinylfu', size, names, s))
      const lru = timedReplay(trace.keys, strataTier('lru', size, names, seed))
      const result: CaseResult = {
        workload: workload.name,
        group: workload.group,
        size,
        accesses: trace.keys.length,
        strata: tinyLfu.ratio,
        strataWorst: tinyLfu.worst,
        strataLru: lru.ratio,
        lruCache: replay(trace.keys, lruCache(size, names)),
        opt: beladyHitRatio(trace.keys, trace.distinct, size),
        strataSpeed: tinyLfu.speed,
        strataLruSpeed: lru.speed,
      }
      if (sizes !== undefined) {
        const budget = Math.round(size * meanSize)
        const tinyLfuBytes = seededReplays(trace.keys, (s) => bytesTier('w-tinylfu', budget, names, sizes, s))
        result.bytes = {
          strata: tinyLfuBytes.ratio,
          strataWorst: tinyLfuBytes.worst,
          strataLru: replay(trace.keys, bytesTier('lru', budget, names, sizes)),
          opt: beladySizedHitRatio(trace.keys, trace.distinct, sizes, budget),
        }
      }
      results.push(result)
      process.stderr.write(
        `${workload.name} @${size}: w-tinylfu ${result.strata.toFixed(2)}  lru ${result.strataLru.toFixed(2)}  ` +
          `lru-cache ${result.lruCache.toFixed(2)}  opt ${result.opt.toFixed(2)}` +
          (result.bytes === undefined
            ? ''
            : `  | bytes: w-tinylfu ${result.bytes.strata.toFixed(2)}  lru ${result.bytes.strataLru.toFixed(2)}  opt ${result.bytes.opt.toFixed(2)}`) +
          '\n',
      )
    }
    process.stderr.write(`  (${workload.name}: ${((performance.now() - started) / 1000).toFixed(1)} s)\n`)
  }
  return results
}

/**
 * The acceptance figures over some cells: how many fall below LRU − 1 (by the mean over the seeds, and by the worst
 * seed), the worst, and the mean LRU→OPT gap closed (by the mean).
 */
function acceptance(cells: { policy: number; worst: number; lru: number; opt: number }[]): {
  cells: number
  belowLruMinus1: number
  belowLruMinus1WorstSeed: number
  worstVsLru: number
  gapCells: number
  meanGapClosed: number
} {
  const gaps = cells.filter((c) => c.opt - c.lru >= 1).map((c) => (c.policy - c.lru) / (c.opt - c.lru))
  return {
    cells: cells.length,
    belowLruMinus1: cells.filter((c) => c.policy < c.lru - 1).length,
    belowLruMinus1WorstSeed: cells.filter((c) => c.worst < c.lru - 1).length,
    worstVsLru: round(Math.min(...cells.map((c) => c.worst - c.lru)), 2),
    gapCells: gaps.length,
    meanGapClosed: round(100 * mean(gaps), 1),
  }
}

function mean(values: number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length
}

const userTrace = values.trace
let workloads: Workload[]
if (userTrace !== undefined) {
  const format = values.format as TraceFormat | undefined
  if (format !== undefined && format !== 'lines' && format !== 'lis') {
    console.error(`--format must be "lines" or "lis", got ${JSON.stringify(format)}`)
    process.exit(2)
  }
  const sizes = (values.sizes ?? '250,1000,2000').split(',').map(Number)
  if (sizes.some((size) => !Number.isInteger(size) || size < 1)) {
    console.error(`--sizes must be positive integers separated by commas, got ${JSON.stringify(values.sizes)}`)
    process.exit(2)
  }
  workloads = [
    { name: basename(userTrace), group: 'user', load: () => readTrace(userTrace, format ?? formatOf(userTrace)), sizes },
  ]
} else {
  const dir = locateTracesDir()
  if (dir === undefined) {
    console.error('shared/traces not found: replaying the LIRS traces shipped in the repository, without OLTP and P3 (set STRATA_TRACES_DIR or put shared/traces beside the clone).')
  }
  workloads = [...generatedWorkloads(), ...publicWorkloads(dir, values.all)]
}

const results = run(workloads, userTrace === undefined && !values['no-bytes'])
const scored = results.filter((r) => r.group !== 'generated')
const summary = scored.length > 0 ? scored : results
const perCase = Object.fromEntries(
  results.map((r) => [
    `${r.workload}@${r.size}`,
    {
      'w-tinylfu': round(r.strata, 2),
      ...(seeds.length > 1 ? { 'w-tinylfu worst seed': round(r.strataWorst, 2) } : {}),
      lru: round(r.strataLru, 2),
      'lru-cache': round(r.lruCache, 2),
      opt: round(r.opt, 2),
      ...(r.bytes === undefined ? {} : { bytes: { 'w-tinylfu': round(r.bytes.strata, 2), lru: round(r.bytes.strataLru, 2), opt: round(r.bytes.opt, 2) } }),
    },
  ]),
)
const summaryOf = (pick: (r: CaseResult) => number): number => round(mean(summary.map(pick)), 2)

printReport({
  bench: 'hit-ratio',
  metric:
    userTrace !== undefined
      ? 'mean hit ratio over the requested sizes'
      : scored.length > 0
        ? 'mean hit ratio over the public-trace cases'
        : 'mean hit ratio over the generated cases',
  unit: '%',
  higherIsBetter: true,
  results: {
    strata: summaryOf((r) => r.strata),
    'strata-lru': summaryOf((r) => r.strataLru),
    'lru-cache': summaryOf((r) => r.lruCache),
    opt: summaryOf((r) => r.opt),
  },
  ratios: {
    'strata/opt': round(mean(summary.map((r) => r.strata)) / mean(summary.map((r) => r.opt))),
    'replay strata/strata-lru': round(mean(results.map((r) => r.strataSpeed / r.strataLruSpeed))),
  },
  table: results.map((r) => ({
    workload: r.workload,
    size: r.size,
    accesses: r.accesses,
    'w-tinylfu': r.strata.toFixed(2),
    lru: r.strataLru.toFixed(2),
    'lru-cache': r.lruCache.toFixed(2),
    OPT: r.opt.toFixed(2),
    'gap to OPT': (r.opt - r.strata).toFixed(2),
    'vs LRU': signed(r.strata - r.strataLru),
    ...(seeds.length > 1 ? { 'worst seed vs LRU': signed(r.strataWorst - r.strataLru) } : {}),
    'gap closed': r.opt - r.strataLru >= 1 ? `${((100 * (r.strata - r.strataLru)) / (r.opt - r.strataLru)).toFixed(0)}%` : '',
    'Macc/s tlfu': round(r.strataSpeed / 1e6, 2),
    'Macc/s lru': round(r.strataLruSpeed / 1e6, 2),
    ...(r.bytes === undefined
      ? {}
      : {
          'bytes tlfu': r.bytes.strata.toFixed(2),
          'bytes lru': r.bytes.strataLru.toFixed(2),
          'bytes OPT': r.bytes.opt.toFixed(2),
          'bytes vs LRU': signed(r.bytes.strata - r.bytes.strataLru),
          ...(seeds.length > 1 ? { 'bytes worst seed vs LRU': signed(r.bytes.strataWorst - r.bytes.strataLru) } : {}),
        }),
  })),
  env: {
    acceptance: {
      units: acceptance(results.map(unitCell)),
      unitsPublic: acceptance(results.filter((r) => r.group === 'public').map(unitCell)),
      unitsGenerated: acceptance(results.filter((r) => r.group === 'generated').map(unitCell)),
      ...(results.some((r) => r.bytes !== undefined)
        ? {
            bytes: acceptance(
              results
                .filter((r) => r.bytes !== undefined)
                .map((r) => ({ policy: r.bytes!.strata, worst: r.bytes!.strataWorst, lru: r.bytes!.strataLru, opt: r.bytes!.opt })),
            ),
          }
        : {}),
    },
    replayAccessesPerSecond: {
      'w-tinylfu': Math.round(mean(results.map((r) => r.strataSpeed))),
      lru: Math.round(mean(results.map((r) => r.strataLruSpeed))),
    },
    cases: perCase,
    summaryCases: summary.length,
    seeds,
    ...(userTrace === undefined ? {} : { trace: basename(userTrace) }),
  },
})

function unitCell(r: CaseResult): { policy: number; worst: number; lru: number; opt: number } {
  return { policy: r.strata, worst: r.strataWorst, lru: r.strataLru, opt: r.opt }
}

function signed(value: number): string {
  return (value >= 0 ? '+' : '') + value.toFixed(2)
}
