import { randomBytes } from 'node:crypto'
import { createCache } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { createDbCache } from '@strata/db-cache'
import { CronWarmScheduler, buildWarmer } from '@strata/warmer'
import pg from 'pg'
import { startPgpool, stopPgpool, type PgpoolInstance } from './lib/pgpool.js'
import { median, printReport, round } from './lib/report.js'
import { seededRandom, zipfKeys } from './lib/zipf.js'

// `pnpm bench db-cache`: a read-mostly, pgbench-like workload on generated data (pgbench's four tables), run in one
// process against PostgreSQL directly, through Strata's query cache (@strata/db-cache: L1 + Redis L2) and through
// pgpool-II's in-memory query cache (shmem), alternating, after a warm-up that fills both caches. Each contender has
// its own pg Pool of the same size. Writes go through the contender, so both caches invalidate as they would in use.
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16)
const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 10)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const accounts = Number(process.env.BENCH_ACCOUNTS ?? 10_000)
const postgresUrl = process.env.STRATA_POSTGRES_URL?.trim() || 'postgres://postgres@127.0.0.1:5433/strata'
const redisUrl = process.env.STRATA_REDIS_URL?.trim() || 'redis://127.0.0.1:6379'
// Ports from this bench's range, overridable.
const pgpoolPort = Number(process.env.BENCH_PGPOOL_PORT ?? 19110)
const backend = new URL(postgresUrl)
const schema = `bench_dbc_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
const branches = Math.max(1, Math.floor(accounts / 100_000))
const tellers = branches * 10

// The mix, per 1,000 operations: 900 point reads (Zipf-skewed account ids, s = 0.99), 50 branch/teller joins,
// 39 range sums, 10 history inserts, 1 teller update (which invalidates the join results that read tellers).
const SQL = {
  account: `SELECT aid, bid, abalance FROM ${schema}.pgbench_accounts WHERE aid = $1`,
  branch: `SELECT b.bid, b.bbalance, count(t.tid)::int AS tellers, sum(t.tbalance)::int AS tbalance FROM ${schema}.pgbench_branches b JOIN ${schema}.pgbench_tellers t ON t.bid = b.bid WHERE b.bid = $1 GROUP BY b.bid, b.bbalance`,
  range: `SELECT sum(abalance)::int AS total, count(*)::int AS n FROM ${schema}.pgbench_accounts WHERE aid BETWEEN $1 AND $1 + 99`,
  history: `INSERT INTO ${schema}.pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, localtimestamp)`,
  teller: `UPDATE ${schema}.pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2`,
} as const

const KIND = { account: 0, branch: 1, range: 2, history: 3, teller: 4 } as const

/** The operation stream as two typed arrays (a million op objects would weigh ~100 MB); values are built per call. */
interface Workload {
  kinds: Uint8Array
  aids: Int32Array
  randoms: Float64Array
}

function workload(length: number): Workload {
  const random = seededRandom(7)
  const aids = zipfKeys({ items: accounts, accesses: length, exponent: 0.99, seed: 11 })
  const kinds = new Uint8Array(length)
  const randoms = new Float64Array(length)
  for (let i = 0; i < length; i++) {
    const slot = i % 1000
    kinds[i] = slot < 900 ? KIND.account : slot < 950 ? KIND.branch : slot < 989 ? KIND.range : slot < 999 ? KIND.history : KIND.teller
    randoms[i] = random()
  }
  // Shuffle so the writes are spread through the run, not bunched at the end of each thousand.
  for (let i = length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const kind = kinds[i]!
    kinds[i] = kinds[j]!
    kinds[j] = kind
  }
  return { kinds, aids, randoms }
}

function operation(ops: Workload, i: number): [string, unknown[]] {
  const aid = ops.aids[i]! + 1
  const r = ops.randoms[i]!
  const tid = Math.floor(r * tellers) + 1
  switch (ops.kinds[i]) {
    case KIND.account:
      return [SQL.account, [aid]]
    case KIND.branch:
      return [SQL.branch, [Math.floor(r * branches) + 1]]
    case KIND.range:
      return [SQL.range, [Math.max(1, aid - 50)]]
    case KIND.history:
      return [SQL.history, [tid, 1, aid, Math.floor(r * 10_000) - 5_000]]
    default:
      return [SQL.teller, [1, tid]]
  }
}

type Query = (text: string, values: unknown[]) => Promise<unknown>

/** The `count` most frequent account ids of the point reads in the first 200,000 operations. */
function hotAccounts(ops: Workload, count: number): number[] {
  const frequency = new Map<number, number>()
  for (let i = 0; i < Math.min(200_000, ops.kinds.length); i++) {
    if (ops.kinds[i] !== KIND.account) continue
    const aid = ops.aids[i]! + 1
    frequency.set(aid, (frequency.get(aid) ?? 0) + 1)
  }
  return [...frequency].sort((a, b) => b[1] - a[1]).slice(0, count).map(([aid]) => aid)
}

interface RoundResult {
  opsPerSecond: number
  p99Ms: number
  /** Deadlocks (40P01) PostgreSQL reported; retried by the application in real life, counted here. */
  deadlocks: number
}

let cursor = 0
async function runFor(query: Query, ops: Workload, durationS: number): Promise<RoundResult> {
  const latencies: number[] = []
  let deadlocks = 0
  const deadline = performance.now() + durationS * 1000
  const started = performance.now()
  const worker = async () => {
    while (performance.now() < deadline) {
      const [text, values] = operation(ops, cursor++ % ops.kinds.length)
      const t0 = performance.now()
      try {
        await query(text, values)
      } catch (error) {
        if ((error as { code?: string }).code !== '40P01') throw error
        deadlocks++
        continue
      }
      latencies.push(performance.now() - t0)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const elapsed = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  return { opsPerSecond: latencies.length / elapsed, p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN, deadlocks }
}

async function setup(admin: pg.Client): Promise<void> {
  await admin.query(`CREATE SCHEMA ${schema}`)
  await admin.query(`CREATE TABLE ${schema}.pgbench_branches (bid int PRIMARY KEY, bbalance int NOT NULL, filler char(88))`)
  await admin.query(`CREATE TABLE ${schema}.pgbench_tellers (tid int PRIMARY KEY, bid int NOT NULL, tbalance int NOT NULL, filler char(84))`)
  await admin.query(`CREATE TABLE ${schema}.pgbench_accounts (aid int PRIMARY KEY, bid int NOT NULL, abalance int NOT NULL, filler char(84))`)
  await admin.query(`CREATE TABLE ${schema}.pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))`)
  await admin.query(`INSERT INTO ${schema}.pgbench_branches SELECT g, 0 FROM generate_series(1, $1) g`, [branches])
  await admin.query(`INSERT INTO ${schema}.pgbench_tellers SELECT g, (g - 1) / 10 + 1, 0 FROM generate_series(1, $1) g`, [tellers])
  await admin.query(`INSERT INTO ${schema}.pgbench_accounts SELECT g, (g - 1) / 100000 + 1, (g * 7919) % 10000 FROM generate_series(1, $1) g`, [accounts])
  await admin.query(`ANALYZE ${schema}.pgbench_accounts`)
}

const admin = new pg.Client({ connectionString: postgresUrl })
await admin.connect()
let pgpool: PgpoolInstance | undefined
const pools: pg.Pool[] = []
const cache = createCache({ prefix: `bench-${schema}`, l1: { maxEntries: 250_000 }, l2: redisStore({ url: redisUrl }) })
try {
  console.error(`generating ${accounts} accounts in ${schema}...`)
  await setup(admin)
  pgpool = await startPgpool({ port: pgpoolPort, pcpPort: pgpoolPort + 1, backendHost: backend.hostname, backendPort: Number(backend.port || 5432), children: concurrency + 2 })
  const viaPgpool = new URL(postgresUrl)
  viaPgpool.port = String(pgpoolPort)
  const newPool = (url: string) => {
    const pool = new pg.Pool({ connectionString: url, max: concurrency })
    pool.on('error', () => undefined)
    pools.push(pool)
    return pool
  }
  const directPool = newPool(postgresUrl)
  const pgpoolPool = newPool(viaPgpool.toString())
  const db = createDbCache({ pool: newPool(postgresUrl), cache })
  const contenders: Record<string, Query> = {
    strata: (text, values) => db.query(text, values),
    direct: (text, values) => directPool.query(text, values),
    pgpool: (text, values) => pgpoolPool.query(text, values),
  }
  const ops = workload(2_000_000)

  // Warm-up passes until a contender is steady (less than 10 % faster than its previous pass, at most 3 passes): a time
  // alone does not fill a cache whose fill rate depends on the machine's load, and rounds measured while it still
  // fills report the warm-up, not the cache (Strata's rounds rose 18k → 77k → 121k ops/s after one 10 s pass).
  console.error(`warm-up: ${warmupSeconds} s passes each until steady, at most 3 (fills both caches)`)
  for (const [name, query] of Object.entries(contenders)) {
    let previous = 0
    for (let pass = 1; pass <= 3; pass++) {
      const warm = await runFor(query, ops, warmupSeconds)
      console.error(`warm-up ${name} pass ${pass}: ${Math.round(warm.opsPerSecond)} ops/s${warm.deadlocks > 0 ? `, ${warm.deadlocks} deadlocks` : ''}`)
      if (warm.opsPerSecond < previous * 1.1) break
      previous = warm.opsPerSecond
    }
  }
  // Hit ratios over the measured rounds only.
  const strataCounts = () => db.stats().reduce((sum, entry) => ({ hits: sum.hits + entry.hits, misses: sum.misses + entry.misses }), { hits: 0, misses: 0 })
  const pgpoolCounts = async () => {
    const row = (await pgpoolPool.query<{ num_cache_hits: string; num_selects: string }>('SHOW pool_cache')).rows[0]!
    return { hits: Number(row.num_cache_hits), misses: Number(row.num_selects) }
  }
  const strataBefore = strataCounts()
  const pgpoolBefore = await pgpoolCounts()

  const results: Record<string, RoundResult[]> = { strata: [], direct: [], pgpool: [] }
  for (let r = 0; r < rounds; r++) {
    for (const [name, query] of Object.entries(contenders)) {
      const result = await runFor(query, ops, seconds)
      results[name]!.push(result)
      console.error(`round ${r + 1} ${name}: ${Math.round(result.opsPerSecond)} ops/s, p99 ${result.p99Ms.toFixed(2)} ms${result.deadlocks > 0 ? `, ${result.deadlocks} deadlocks` : ''}`)
    }
  }

  // Both caches must really have served: Strata's counters, pgpool's SHOW POOL_CACHE.
  const strataAfter = strataCounts()
  const pgpoolAfter = await pgpoolCounts()
  const strataHits = strataAfter.hits - strataBefore.hits
  const pgpoolHits = pgpoolAfter.hits - pgpoolBefore.hits
  const strataHitRatio = strataHits / Math.max(1, strataHits + strataAfter.misses - strataBefore.misses)
  const pgpoolHitRatio = pgpoolHits / Math.max(1, pgpoolHits + pgpoolAfter.misses - pgpoolBefore.misses)
  if (strataHits === 0 || pgpoolHits === 0) throw new Error(`a cache served nothing: strata hits ${strataHits}, pgpool hits ${pgpoolHits}`)

  // Cold vs warmed: the same stretch of the workload on an empty namespace, then on one the warmer filled first with the
  // hottest account reads (ranked from the stream, as an analytics hot-keys report would), under its rate limit.
  const hottest = hotAccounts(ops, 2_000)
  const coldVsWarm: Record<string, RoundResult> = {}
  for (const phase of ['cold', 'warmed'] as const) {
    const phaseCache = createCache({ prefix: `bench-${schema}-${phase}`, l1: { maxEntries: 250_000 }, l2: redisStore({ url: redisUrl }) })
    const phaseDb = createDbCache({ pool: newPool(postgresUrl), cache: phaseCache })
    let warmMs = 0
    if (phase === 'warmed') {
      const warmer = buildWarmer({
        cache: phaseCache,
        db: phaseDb,
        loaders: {},
        targets: [{ kind: 'queries', name: 'hot-accounts', queries: [{ sql: SQL.account, params: hottest.map((aid) => [aid]) }] }],
        scheduler: new CronWarmScheduler(),
        rate: { perSecond: 5_000, burst: 50 },
      })
      const started = performance.now()
      await warmer.run('hot-accounts')
      warmMs = performance.now() - started
      await warmer.stop()
    }
    cursor = 0
    coldVsWarm[phase] = await runFor((text, values) => phaseDb.query(text, values), ops, seconds)
    console.error(`${phase}: ${Math.round(coldVsWarm[phase].opsPerSecond)} ops/s, p99 ${coldVsWarm[phase].p99Ms.toFixed(2)} ms${warmMs > 0 ? ` (warming ${hottest.length} queries took ${Math.round(warmMs)} ms)` : ''}`)
    await phaseCache.close()
  }

  const throughput = Object.fromEntries(Object.entries(results).map(([name, list]) => [name, Math.round(median(list.map((result) => result.opsPerSecond)))]))
  const p99 = Object.fromEntries(Object.entries(results).map(([name, list]) => [name, round(median(list.map((result) => result.p99Ms)), 3)]))
  printReport({
    bench: 'db-cache',
    metric: 'throughput',
    unit: 'ops/s',
    higherIsBetter: true,
    results: throughput,
    ratios: {
      'p99 strata/direct': round(p99.strata! / p99.direct!),
      'p99 strata/pgpool': round(p99.strata! / p99.pgpool!),
      'p99 warmed/cold': round(coldVsWarm.warmed!.p99Ms / coldVsWarm.cold!.p99Ms),
    },
    table: Object.keys(results).map((name) => ({
      contender: name,
      'ops/s (median)': throughput[name],
      'p99 ms (median)': p99[name],
      'hit ratio': name === 'strata' ? round(strataHitRatio) : name === 'pgpool' ? round(pgpoolHitRatio) : undefined,
    })),
    env: {
      concurrency,
      seconds,
      warmupSeconds,
      rounds,
      accounts,
      mix: '90% point read (zipf 0.99), 5% join, 3.9% range sum, 1% insert, 0.1% update',
      p99Ms: p99,
      hitRatio: { strata: round(strataHitRatio), pgpool: round(pgpoolHitRatio) },
      strataTiers: 'L1 (250k entries) + Redis L2',
      coldVsWarmed: {
        coldP99Ms: round(coldVsWarm.cold!.p99Ms),
        warmedP99Ms: round(coldVsWarm.warmed!.p99Ms),
        coldOpsPerSecond: Math.round(coldVsWarm.cold!.opsPerSecond),
        warmedOpsPerSecond: Math.round(coldVsWarm.warmed!.opsPerSecond),
        warmedQueries: hottest.length,
      },
      pgpool: 'pgpool-II 4.3, raw mode, memqcache shmem 256MB',
    },
  })
} finally {
  await Promise.all(pools.map((pool) => pool.end().catch(() => undefined)))
  if (pgpool !== undefined) await stopPgpool(pgpool)
  await cache.close()
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined)
  await admin.end()
}
