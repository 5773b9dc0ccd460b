import { hash } from 'node:crypto'
import { StrataError, msgpackCodec, type CachePolicy, type NamespaceCache, type StrataCache } from '@strata/core'
import type { FieldDef, Pool, PoolClient, QueryArrayConfig, QueryConfig, QueryResult, QueryResultRow } from 'pg'
import { Catalog, type BaseTable } from './catalog/catalog.js'
import { LoopFairness } from './loop-fairness.js'
import { ResultCache } from './results/result-cache.js'
import { decideRead, type CacheDecision, type PassThroughReason } from './sql/cache-decision.js'
import { loadSqlParser } from './sql/sql-parser.js'
import { analyzeStatement, type RelationName, type StatementAnalysis } from './sql/statement-analysis.js'
import { QueryStats, type FingerprintStats, type RecommendationOptions } from './stats/query-stats.js'
import { TableActivity } from './stats/table-activity.js'
import { tableTag, tableName } from './table-tags.js'

export interface DbCacheOptions {
  /** The pg Pool queries go to. */
  pool: Pool
  /** The Strata cache results live in (its L1, L2 and bus). */
  cache: StrataCache
  /** Namespace of the cached results. Default `db`. */
  namespace?: string
  /**
   * How long a result lives when no change arrives. Invalidation by table is what keeps results correct; the TTL
   * bounds the damage when change capture is not running. Default 5 min.
   */
  ttl?: number
  /** Results with more rows are not cached (pass through, reason `too-large`). Default 10,000. */
  maxRows?: number
  /**
   * Namespace policy overrides. The defaults: msgpack (keeps Dates and Buffers), `ttl` above, and `stampede: 'local'`
   * (one load per key per process; a fleet-wide lease costs two more L2 round trips on every miss, and a query
   * repeated once per instance after an invalidation is cheap for PostgreSQL).
   */
  policy?: Partial<CachePolicy>
  recommendation?: Partial<RecommendationOptions>
  /**
   * The longest, in ms, hits are answered back to back from memory before the next ones wait for one turn of the
   * event loop, so the replies to misses and writes are read meanwhile (see loop-fairness.ts). `Infinity` never
   * waits. Default 1.
   */
  hitBurstMs?: number
}

/** A cached result as stored: what pg's QueryResult holds, minus the driver internals. */
interface StoredResult {
  command: string
  rowCount: number | null
  rows: unknown[]
  fields: { name: string; dataTypeID: number; tableID: number; columnID: number; dataTypeSize: number; dataTypeModifier: number; format: string }[]
}

type Analysed = { ok: true; analysis: StatementAnalysis } | { ok: false; fingerprint: string }

/** What a cacheable read needs on every call, worked out once per SQL text. */
interface ReadPlan {
  analysis: StatementAnalysis
  tableNames: string[]
  tags: string[]
}

interface Executor {
  query(config: QueryConfig): Promise<QueryResult>
}

const MAX_MEMO = 10_000

/**
 * A drop-in for a pg Pool's `query()`: reads are cached under their fingerprint and parameters and tagged with every
 * table they read; writes through it invalidate the tables they change; everything else passes through with a reason.
 */
export class DbCache {
  readonly namespace: NamespaceCache<StoredResult>
  readonly catalog: Catalog
  readonly activity = new TableActivity()
  readonly results: ResultCache
  private readonly queryStats: QueryStats
  private readonly analyses = new Map<string, Analysed>()
  private readonly decisions = new Map<string, CacheDecision | Promise<CacheDecision>>()
  /** Texts decided cacheable: a hit on one of them skips analysis and decision (see `run`). */
  private readonly plans = new Map<string, ReadPlan>()
  private parserLoaded = false
  private readonly ttl: number
  private readonly maxRows: number
  private readonly ready: Promise<void>
  private readonly fairness: LoopFairness

  constructor(private readonly options: DbCacheOptions) {
    this.ttl = options.ttl ?? 300_000
    this.maxRows = options.maxRows ?? 10_000
    const hitBurstMs = options.hitBurstMs ?? 1
    if (typeof hitBurstMs !== 'number' || !(hitBurstMs >= 0)) {
      throw new StrataError('E_INVALID_OPTION', `hitBurstMs must be a number of milliseconds ≥ 0 (or Infinity), got ${String(hitBurstMs)}`, { context: { option: 'hitBurstMs' } })
    }
    this.fairness = new LoopFairness(hitBurstMs)
    // msgpack keeps Dates, Buffers and nulls as pg returns them (JSON would turn a timestamp into a string).
    this.namespace = options.cache.namespace<StoredResult>(options.namespace ?? 'db', { codec: msgpackCodec, ttl: this.ttl, stampede: 'local', ...options.policy })
    this.catalog = new Catalog(options.pool)
    this.queryStats = new QueryStats(this.activity, options.recommendation)
    this.results = new ResultCache(this.namespace as unknown as NamespaceCache<unknown>, this.queryStats, (tables) => this.resolveTables(tables))
    this.ready = loadSqlParser().then(() => {
      this.parserLoaded = true
    })
  }

  get pool(): Pool {
    return this.options.pool
  }

  /** Same shapes as `pool.query`: `(text, values)` or a config object (text, values, rowMode, types, name). */
  query<R extends QueryResultRow = QueryResultRow>(textOrConfig: string | QueryConfig | QueryArrayConfig, values?: unknown[]): Promise<QueryResult<R>> {
    let config: QueryConfig
    try {
      config = toConfig(textOrConfig, values)
    } catch (error) {
      return rejection(error)
    }
    return this.run(this.options.pool, config, undefined) as Promise<QueryResult<R>>
  }

  /** A pooled client whose queries go through the cache; inside BEGIN…COMMIT everything passes through. */
  async connect(): Promise<CachedClient> {
    await this.ready
    return new CachedClient(this, await this.options.pool.connect())
  }

  /** Per-fingerprint counters and recommendations, most time saved first. */
  stats(): FingerprintStats[] {
    return this.queryStats.all()
  }

  statsOf(sql: string): FingerprintStats | undefined {
    const analysed = this.analyse(sql)
    return this.queryStats.get(analysed.ok ? analysed.analysis.fingerprint : analysed.fingerprint)
  }

  /** What the cache would do with `sql`, without running it. */
  async explain(sql: string): Promise<{ analysis?: StatementAnalysis; decision: CacheDecision }> {
    await this.ready
    const analysed = this.analyse(sql)
    if (!analysed.ok) return { decision: { cache: false, reason: 'unparsable', detail: 'PostgreSQL cannot parse it' } }
    return { analysis: analysed.analysis, decision: await this.decide(sql, analysed.analysis) }
  }

  /**
   * Drops every cached result that read one of `tables` (`schema.name`, or a BaseTable), here, in L2 and, through the
   * bus, in every instance. `changes` feeds the change rate in stats.
   */
  async invalidateTables(tables: readonly (string | BaseTable)[], changes = 1): Promise<void> {
    const names = [...new Set(tables.map((table) => (typeof table === 'string' ? table : tableName(table))))]
    if (names.length === 0) return
    for (const name of names) this.activity.record(name, changes)
    await this.namespace.deleteByTag(names.map(tableTag))
  }

  /** Closes the pool (the cache belongs to the caller). */
  async end(): Promise<void> {
    await this.options.pool.end()
  }

  // ---------------------------------------------------------------- internals shared with CachedClient

  /**
   * @internal Runs one query on `executor`; `transaction` is the client's open transaction, if any. A text already
   * decided cacheable goes straight to `read` (no await before the L1 lookup: a hit costs the fewest microtasks).
   */
  run(executor: Executor, config: QueryConfig, transaction: TransactionState | undefined): Promise<QueryResult> {
    if (this.parserLoaded && transaction?.open !== true && config.types === undefined) {
      const plan = this.plans.get(config.text)
      if (plan !== undefined) {
        try {
          return this.read(executor, config, plan)
        } catch (error) {
          return rejection(error)
        }
      }
    }
    return this.runAnalysed(executor, config, transaction)
  }

  private async runAnalysed(executor: Executor, config: QueryConfig, transaction: TransactionState | undefined): Promise<QueryResult> {
    if (typeof config.text !== 'string' || config.text.length === 0) {
      throw new StrataError('E_INVALID_OPTION', 'query() needs SQL text (a non-empty string or a config with text)')
    }
    await this.ready
    const sql = config.text
    const analysed = this.analyse(sql)
    if (!analysed.ok) {
      this.queryStats.passThrough(analysed.fingerprint, '<unparsable: text not kept>', 'unparsable')
      return executor.query(config)
    }
    const analysis = analysed.analysis
    if (analysis.kind === 'transaction') {
      let result: QueryResult
      try {
        result = await executor.query(config)
      } catch (error) {
        // A failed COMMIT (serialization failure, deferred constraint) ended the transaction: nothing was written.
        if (transaction !== undefined && analysis.transaction === 'commit') await transaction.apply('rollback')
        throw error
      }
      if (transaction !== undefined) await transaction.apply(analysis.transaction ?? 'other')
      return result
    }
    if (analysis.kind === 'write') return this.write(executor, config, analysis, transaction)
    if (transaction?.open === true) {
      this.queryStats.passThrough(analysis.fingerprint, analysis.masked, 'open-transaction')
      return executor.query(config)
    }
    if (config.types !== undefined) return this.passThrough(executor, config, analysis, 'custom-type-parsers')
    const decision = await this.decide(sql, analysis)
    if (!decision.cache) return this.passThrough(executor, config, analysis, decision.reason)
    return this.read(executor, config, this.plan(sql, analysis, decision.tables))
  }

  private plan(sql: string, analysis: StatementAnalysis, tables: readonly BaseTable[]): ReadPlan {
    let plan = this.plans.get(sql)
    if (plan === undefined) {
      const tableNames = tables.map(tableName)
      plan = { analysis, tableNames, tags: tableNames.map(tableTag) }
      if (this.plans.size >= MAX_MEMO) this.plans.clear()
      this.plans.set(sql, plan)
    }
    return plan
  }

  /**
   * A result in L1 or L2 answers when getOrSet does, held back one event-loop turn when hits have had the loop to
   * themselves for `hitBurstMs` (loop-fairness.ts). A miss answers once its result is cached, so the next read of the
   * same query is a hit.
   */
  private read(executor: Executor, config: QueryConfig, plan: ReadPlan): Promise<QueryResult> {
    const { analysis } = plan
    let loaded: QueryResult | undefined
    const cached = this.namespace.getOrSet(
      cacheKey(analysis, config),
      async (context) => {
        const started = performance.now()
        const result = await executor.query(config)
        const originMs = performance.now() - started
        loaded = result
        const rows = result.rows.length
        if (rows > this.maxRows) {
          context.skipCache()
          this.queryStats.passThrough(analysis.fingerprint, analysis.masked, 'too-large')
          return toStored(result)
        }
        this.queryStats.miss(analysis.fingerprint, analysis.masked, plan.tableNames, originMs, rows, jsonSize(result.rows))
        return toStored(result)
      },
      { tags: plan.tags },
    )
    return cached.then((stored) => {
      // The loader's own result goes back as pg returned it; a hit gets a result object around the shared rows.
      if (loaded !== undefined) return loaded
      this.queryStats.hit(analysis.fingerprint, analysis.masked)
      const result = fromStored(stored)
      const turn = this.fairness.turn()
      return turn === undefined ? result : turn.then(() => result)
    })
  }

  private async write(executor: Executor, config: QueryConfig, analysis: StatementAnalysis, transaction: TransactionState | undefined): Promise<QueryResult> {
    this.queryStats.passThrough(analysis.fingerprint, analysis.masked, 'not-a-read')
    // Resolve before running: a DROP makes the relation unknown afterwards.
    const tables = await this.resolveTables(analysis.writes)
    const result = await executor.query(config)
    if (analysis.ddl) {
      this.catalog.clear()
      this.decisions.clear()
      this.plans.clear()
    }
    const changes = typeof result.rowCount === 'number' && result.rowCount > 0 ? result.rowCount : 1
    if (transaction?.open === true) transaction.pending.push(...tables.map((table) => ({ table, changes })))
    else await this.invalidateTables(tables, changes)
    return result
  }

  private async passThrough(executor: Executor, config: QueryConfig, analysis: StatementAnalysis, reason: PassThroughReason): Promise<QueryResult> {
    this.queryStats.passThrough(analysis.fingerprint, analysis.masked, reason)
    return executor.query(config)
  }

  /** @internal Base tables of relation names; a name the catalog does not know is tagged as written (public by default). */
  async resolveTables(relations: readonly (RelationName | string)[]): Promise<BaseTable[]> {
    const out = new Map<string, BaseTable>()
    for (const given of relations) {
      const relation = typeof given === 'string' ? parseRelationName(given) : given
      const resolved = await this.catalog.resolveRelation(relation).catch(() => undefined)
      const tables = resolved?.tables ?? [{ schema: relation.schema ?? 'public', name: relation.name }]
      for (const table of tables) out.set(tableName(table), table)
    }
    return [...out.values()]
  }

  private analyse(sql: string): Analysed {
    let analysed = this.analyses.get(sql)
    if (analysed === undefined) {
      try {
        analysed = { ok: true, analysis: analyzeStatement(sql) }
      } catch {
        analysed = { ok: false, fingerprint: `unparsable:${hash('sha1', sql, 'hex').slice(0, 12)}` }
      }
      if (this.analyses.size >= MAX_MEMO) this.analyses.clear()
      this.analyses.set(sql, analysed)
    }
    return analysed
  }

  private decide(sql: string, analysis: StatementAnalysis): CacheDecision | Promise<CacheDecision> {
    const known = this.decisions.get(sql)
    if (known !== undefined) return known
    const pending = decideRead(analysis, this.catalog).then(
      (decision) => {
        // Unknown relations may appear later: decide again next time.
        if (!decision.cache && decision.reason === 'unknown-relation') this.decisions.delete(sql)
        else if (this.decisions.get(sql) === pending) this.decisions.set(sql, decision)
        return decision
      },
      (error: unknown) => {
        this.decisions.delete(sql)
        throw error
      },
    )
    if (this.decisions.size >= MAX_MEMO) this.decisions.clear()
    this.decisions.set(sql, pending)
    return pending
  }
}

/** A client's transaction as the cache sees it: writes are invalidated on COMMIT, forgotten on ROLLBACK. */
export class TransactionState {
  open = false
  readonly pending: { table: BaseTable; changes: number }[] = []

  constructor(private readonly db: DbCache) {}

  async apply(kind: 'begin' | 'commit' | 'rollback' | 'other'): Promise<void> {
    if (kind === 'begin') {
      this.open = true
      this.pending.length = 0
    } else if (kind === 'commit') {
      this.open = false
      const pending = this.pending.splice(0)
      for (const { table, changes } of pending) await this.db.invalidateTables([table], changes)
    } else if (kind === 'rollback') {
      // ROLLBACK TO SAVEPOINT also lands here: keeping the writes (invalidating more on COMMIT) is the safe side.
      this.open = false
      this.pending.length = 0
    }
  }
}

/** A pg PoolClient through the cache: same query() shapes; `release()` gives the connection back. */
export class CachedClient {
  readonly transaction: TransactionState

  constructor(
    private readonly db: DbCache,
    readonly client: PoolClient,
  ) {
    this.transaction = new TransactionState(db)
  }

  async query<R extends QueryResultRow = QueryResultRow>(textOrConfig: string | QueryConfig | QueryArrayConfig, values?: unknown[]): Promise<QueryResult<R>> {
    return (await this.db.run(this.client, toConfig(textOrConfig, values), this.transaction)) as QueryResult<R>
  }

  release(error?: Error | boolean): void {
    this.transaction.open = false
    this.transaction.pending.length = 0
    this.client.release(error)
  }
}

export function createDbCache(options: DbCacheOptions): DbCache {
  return new DbCache(options)
}

/** What a Promise-returning method answers for something thrown before its first await (it never throws itself). */
function rejection(error: unknown): Promise<never> {
  return Promise.reject(error instanceof Error ? error : new Error(String(error)))
}

function toConfig(textOrConfig: string | QueryConfig | QueryArrayConfig, values: unknown[] | undefined): QueryConfig {
  if (typeof textOrConfig === 'string') return values === undefined ? { text: textOrConfig } : { text: textOrConfig, values }
  if (typeof textOrConfig !== 'object' || textOrConfig === null) {
    throw new StrataError('E_INVALID_OPTION', 'query() takes SQL text or a config object with text')
  }
  return values === undefined ? textOrConfig : { ...textOrConfig, values }
}

function parseRelationName(name: string): RelationName {
  const dot = name.indexOf('.')
  return dot === -1 ? { name } : { schema: name.slice(0, dot), name: name.slice(dot + 1) }
}

/** Fingerprint + exact statement + parameters + row mode: equal keys mean the same question to PostgreSQL. */
function cacheKey(analysis: StatementAnalysis, config: QueryConfig): string {
  const values = config.values
  // One-shot hash: no Hash object per lookup (this runs on every hit).
  const params = values === undefined || values.length === 0 ? '' : hash('sha1', JSON.stringify(values, jsonSafe), 'base64url')
  return `${analysis.fingerprint}:${analysis.shape}:${params}${(config as { rowMode?: string }).rowMode === 'array' ? ':a' : ''}`
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value.toString()}n` : value
}

function jsonSize(rows: unknown[]): number {
  try {
    return Buffer.byteLength(JSON.stringify(rows, jsonSafe))
  } catch {
    return 0
  }
}

function toStored(result: QueryResult): StoredResult {
  return {
    command: result.command,
    rowCount: result.rowCount,
    rows: result.rows,
    fields: result.fields.map((field: FieldDef) => ({
      name: field.name,
      dataTypeID: field.dataTypeID,
      tableID: field.tableID,
      columnID: field.columnID,
      dataTypeSize: field.dataTypeSize,
      dataTypeModifier: field.dataTypeModifier,
      format: field.format,
    })),
  }
}

function fromStored(stored: StoredResult): QueryResult {
  return { command: stored.command, rowCount: stored.rowCount, oid: 0, rows: stored.rows as QueryResultRow[], fields: stored.fields }
}
