import type { PassThroughReason } from '../sql/cache-decision.js'
import type { TableActivity } from './table-activity.js'

/** What one query fingerprint did, and what to do about it. */
export interface FingerprintStats {
  fingerprint: string
  /** The first text seen with this fingerprint, its literals replaced by `?`. */
  sample: string
  tables: string[]
  hits: number
  misses: number
  passThrough: number
  /** hits / (hits + misses); 0 before any lookup. */
  hitRatio: number
  /** Pass-through count per reason; a query may pass through for one reason and be cached another time. */
  passThroughReasons: Partial<Record<PassThroughReason, number>>
  /** Mean time PostgreSQL took for a miss. */
  meanOriginMs: number
  /** meanOriginMs × hits: what the hits did not cost PostgreSQL. */
  timeSavedMs: number
  /** Rows and bytes (JSON size) of the results cached on misses. */
  rowsCached: number
  bytesCached: number
  /** Changes per minute of the tables it reads, summed, since the cache started (or over the last window). */
  tableChangesPerMinute: number
  recommendation: Recommendation
}

export type Recommendation = { cache: true; ttlMs: number; why: string } | { cache: false; why: string }

interface Counters {
  sample: string
  tables: string[]
  hits: number
  misses: number
  passThrough: number
  reasons: Partial<Record<PassThroughReason, number>>
  originMs: number
  rows: number
  bytes: number
}

export interface RecommendationOptions {
  /** The longest TTL worth recommending. Default 1 h. */
  maxTtlMs: number
  /** The shortest; below it caching costs more than it saves. Default 1 s. */
  minTtlMs: number
  /** Below this hit ratio, after `minLookups`, caching is not worth it. Default 0.1. */
  minHitRatio: number
  minLookups: number
}

const DEFAULTS: RecommendationOptions = { maxTtlMs: 3_600_000, minTtlMs: 1_000, minHitRatio: 0.1, minLookups: 50 }

/** Per-fingerprint counters; cheap to update on the hit path (one Map lookup, a few increments). */
export class QueryStats {
  private readonly byFingerprint = new Map<string, Counters>()
  private readonly options: RecommendationOptions

  constructor(
    private readonly activity: TableActivity,
    options: Partial<RecommendationOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options }
  }

  private counters(fingerprint: string, sample: string): Counters {
    let counters = this.byFingerprint.get(fingerprint)
    if (counters === undefined) {
      counters = { sample, tables: [], hits: 0, misses: 0, passThrough: 0, reasons: {}, originMs: 0, rows: 0, bytes: 0 }
      this.byFingerprint.set(fingerprint, counters)
    }
    return counters
  }

  hit(fingerprint: string, sample: string): void {
    this.counters(fingerprint, sample).hits++
  }

  miss(fingerprint: string, sample: string, tables: readonly string[], originMs: number, rows: number, bytes: number): void {
    const counters = this.counters(fingerprint, sample)
    counters.misses++
    counters.originMs += originMs
    counters.rows += rows
    counters.bytes += bytes
    counters.tables = [...tables]
  }

  passThrough(fingerprint: string, sample: string, reason: PassThroughReason): void {
    const counters = this.counters(fingerprint, sample)
    counters.passThrough++
    counters.reasons[reason] = (counters.reasons[reason] ?? 0) + 1
  }

  get(fingerprint: string): FingerprintStats | undefined {
    const counters = this.byFingerprint.get(fingerprint)
    return counters === undefined ? undefined : this.snapshot(fingerprint, counters)
  }

  all(): FingerprintStats[] {
    return [...this.byFingerprint].map(([fingerprint, counters]) => this.snapshot(fingerprint, counters)).sort((a, b) => b.timeSavedMs - a.timeSavedMs)
  }

  private snapshot(fingerprint: string, c: Counters): FingerprintStats {
    const lookups = c.hits + c.misses
    const hitRatio = lookups === 0 ? 0 : c.hits / lookups
    const meanOriginMs = c.misses === 0 ? 0 : c.originMs / c.misses
    const tableChangesPerMinute = c.tables.reduce((sum, table) => sum + this.activity.changesPerMinute(table), 0)
    return {
      fingerprint,
      sample: c.sample,
      tables: c.tables,
      hits: c.hits,
      misses: c.misses,
      passThrough: c.passThrough,
      hitRatio,
      passThroughReasons: { ...c.reasons },
      meanOriginMs,
      timeSavedMs: meanOriginMs * c.hits,
      rowsCached: c.rows,
      bytesCached: c.bytes,
      tableChangesPerMinute,
      recommendation: this.recommend(c, lookups, hitRatio, tableChangesPerMinute),
    }
  }

  /**
   * A result lives until its tables change, so the useful TTL is about the mean time between changes of those tables:
   * longer only keeps entries that invalidation will drop anyway, while change capture is what keeps them correct.
   * A query that mostly passes through, or whose tables change faster than it is re-read, is not worth caching.
   */
  private recommend(c: Counters, lookups: number, hitRatio: number, changesPerMinute: number): Recommendation {
    const reasons = Object.entries(c.reasons).sort((a, b) => b[1] - a[1])
    if (lookups === 0 && reasons.length > 0) return { cache: false, why: `always passes through: ${reasons.map(([reason]) => reason).join(', ')}` }
    if (lookups >= this.options.minLookups && hitRatio < this.options.minHitRatio) {
      return { cache: false, why: `hit ratio ${hitRatio.toFixed(2)} after ${lookups} lookups: its tables change (${changesPerMinute.toFixed(1)}/min) before results are read again` }
    }
    if (changesPerMinute === 0) return { cache: true, ttlMs: this.options.maxTtlMs, why: 'its tables did not change; change capture invalidates it when they do' }
    const meanGapMs = 60_000 / changesPerMinute
    const ttlMs = Math.round(Math.min(this.options.maxTtlMs, Math.max(this.options.minTtlMs, meanGapMs)))
    if (meanGapMs < this.options.minTtlMs) {
      return { cache: false, why: `its tables change every ${meanGapMs.toFixed(0)} ms on average, faster than the ${this.options.minTtlMs} ms minimum TTL` }
    }
    return { cache: true, ttlMs, why: `mean time between changes of its tables is ${(meanGapMs / 1000).toFixed(1)} s` }
  }
}
