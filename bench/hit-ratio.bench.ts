import { basename, join } from 'node:path'
import { parseArgs } from 'node:util'
import { LRUCache } from 'lru-cache'
import { beladyHitRatio } from './lib/belady.js'
import { round, printReport } from './lib/report.js'
import { keyNames, replay, strataTier, type Access } from './lib/simulate.js'
import { PUBLIC_TRACES, formatOf, locateTracesDir, readTrace, type Trace, type TraceFormat } from './lib/traces.js'
import { loopKeys, zipfKeys, zipfWithScans } from './lib/zipf.js'

/**
 * `pnpm bench hit-ratio [--all] [--trace FILE [--sizes 250,1000,2000] [--format lines|lis]]`
 *
 * Hit ratio (%) of Strata's L1 policies (adaptive W-TinyLFU, LRU), as the shipped MemoryTier, against lru-cache and
 * Belády's optimum (a new key may bypass the cache), on generated workloads and on the public traces of
 * ../shared/traces. Every cache runs cache-aside: a miss inserts the key. The BENCH line's results are the means over
 * the public-trace cases: `strata` (W-TinyLFU), `strata-lru`, `lru-cache` and `opt`; per-case figures are in `env`.
 * Traces: LIRS (Jiang & Zhang, SIGMETRICS 2002) and ARC (Megiddo & Modha, FAST 2003).
 */
const { values } = parseArgs({
  options: {
    trace: { type: 'string' },
    sizes: { type: 'string' },
    format: { type: 'string' },
    all: { type: 'boolean', default: false },
    seed: { type: 'string', default: String(0x5eed) },
  },
})
const seed = Number(values.seed)

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
  strata: number
  strataLru: number
  lruCache: number
  opt: number
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
  ]
}

/** The README's sizes, Caffeine's chart sizes for gli and OLTP, and with --all a few more. */
function publicWorkloads(dir: string, all: boolean): Workload[] {
  const extra: Record<string, number[]> = all
    ? { gli: [500, 1500], OLTP: [250, 500, 1500, 2000], multi2: [512, 2048], sprite: [512], '2_pools': [512], P3: [20_000, 40_000] }
    : { gli: [500, 1500], OLTP: [250, 2000] }
  return PUBLIC_TRACES.map((trace) => ({
    name: trace.name,
    group: 'public' as const,
    load: () => readTrace(join(dir, trace.file)),
    sizes: [...new Set([...trace.cases.map((c) => c.size), ...(extra[trace.name] ?? [])])].sort((a, b) => a - b),
  }))
}

function run(workloads: Workload[]): CaseResult[] {
  const results: CaseResult[] = []
  for (const workload of workloads) {
    const started = performance.now()
    const trace = workload.load()
    const names = keyNames(trace.distinct)
    for (const size of workload.sizes) {
      const result: CaseResult = {
        workload: workload.name,
        group: workload.group,
        size,
        accesses: trace.keys.length,
        strata: replay(trace.keys, strataTier('w-tinylfu', size, names, seed)),
        strataLru: replay(trace.keys, strataTier('lru', size, names, seed)),
        lruCache: replay(trace.keys, lruCache(size, names)),
        opt: beladyHitRatio(trace.keys, trace.distinct, size),
      }
      results.push(result)
      process.stderr.write(
        `${workload.name} @${size}: w-tinylfu ${result.strata.toFixed(2)}  lru ${result.strataLru.toFixed(2)}  ` +
          `lru-cache ${result.lruCache.toFixed(2)}  opt ${result.opt.toFixed(2)}\n`,
      )
    }
    process.stderr.write(`  (${workload.name}: ${((performance.now() - started) / 1000).toFixed(1)} s)\n`)
  }
  return results
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
    console.error('The public traces were not found: set STRATA_TRACES_DIR or put shared/traces beside the clone.')
  }
  workloads = [...generatedWorkloads(), ...(dir === undefined ? [] : publicWorkloads(dir, values.all))]
}

const results = run(workloads)
const scored = results.filter((r) => r.group !== 'generated')
const summary = scored.length > 0 ? scored : results
const perCase = Object.fromEntries(
  results.map((r) => [
    `${r.workload}@${r.size}`,
    { 'w-tinylfu': round(r.strata, 2), lru: round(r.strataLru, 2), 'lru-cache': round(r.lruCache, 2), opt: round(r.opt, 2) },
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
  ratios: { 'strata/opt': round(mean(summary.map((r) => r.strata)) / mean(summary.map((r) => r.opt))) },
  table: results.map((r) => ({
    workload: r.workload,
    size: r.size,
    accesses: r.accesses,
    'w-tinylfu': r.strata.toFixed(2),
    lru: r.strataLru.toFixed(2),
    'lru-cache': r.lruCache.toFixed(2),
    OPT: r.opt.toFixed(2),
    'gap to OPT': (r.opt - r.strata).toFixed(2),
    'vs LRU': (r.strata - r.strataLru >= 0 ? '+' : '') + (r.strata - r.strataLru).toFixed(2),
  })),
  env: {
    cases: perCase,
    summaryCases: summary.length,
    seed,
    ...(userTrace === undefined ? {} : { trace: basename(userTrace) }),
  },
})
