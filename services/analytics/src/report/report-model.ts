import type { AnalyticsReport, Anomaly, Granularity, NamespaceReport, ResourceSample, SeriesPoint, Trend } from '@strata/api'
import type { AnalyticsState } from '../aggregation/analytics-state.js'
import { decodeHistogram, newLatencyHistogram, summarize } from '../sketches/latency-histogram.js'
import type { ShardsMrc } from '../sketches/shards-mrc.js'
import type { RollupStore, StoredAccessRow } from '../store/rollup-store.js'
import { recommend } from './recommendations.js'

const READ_TIERS = new Set(['l1', 'l2', 'origin', 'none'])
const HOUR = 3_600_000
const DAY = 24 * HOUR

/**
 * The report every format renders (its shape is the analytics API's contract, declared in @strata/api) (JSON as is, CSV, HTML): rollups from PostgreSQL for the window, sketches from the
 * live state (hot keys, stampedes, miss-ratio curve), trends against the previous hour and day, and anomaly flags
 * (a minute more than 3 standard deviations off its trailing hour).
 */
export async function buildReport(store: RollupStore, state: AnalyticsState, options: { from: number; to: number; granularity: Granularity; namespace?: string; topK?: number; resources?: ResourceSample[] }): Promise<AnalyticsReport> {
  const { from, to, granularity } = options
  const query = { granularity, from, to, ...(options.namespace === undefined ? {} : { namespace: options.namespace }) }
  const [rows, errorRows, invalidationRows, recent] = await Promise.all([
    store.accessRows(query),
    store.errorRows(query),
    store.invalidationRows(query),
    store.accessRows({ granularity: 'minute', from: to - 2 * DAY, to, ...(options.namespace === undefined ? {} : { namespace: options.namespace }) }),
  ])
  const byNamespace = groupBy(rows, (row) => row.namespace)
  const recentByNamespace = groupBy(recent, (row) => row.namespace)
  const namespaces: NamespaceReport[] = []
  for (const [namespace, nsRows] of byNamespace) {
    namespaces.push(namespaceReport(namespace, nsRows, recentByNamespace.get(namespace) ?? [], state, from, to, options.topK ?? 20))
  }
  namespaces.sort((a, b) => b.requests - a.requests)
  return {
    generatedAt: Date.now(),
    window: { from, to, granularity },
    namespaces,
    errors: sumBy(errorRows, (row) => `${row.code}\0${row.service}\0${row.namespace}`, (row) => ({ code: row.code, service: row.service, namespace: row.namespace, count: 0 }), (into, row) => (into.count += row.count)).sort((a, b) => b.count - a.count),
    invalidations: sumBy(invalidationRows, (row) => `${row.namespace}\0${row.kind}`, (row) => ({ namespace: row.namespace, kind: row.kind, count: 0, keys: 0 }), (into, row) => {
      into.count += row.count
      into.keys += row.keys
    }).sort((a, b) => b.count - a.count),
    ingest: { ...state.counters },
    resources: options.resources ?? [],
    timeline: state.timeline.between(options.from, options.to),
  }
}

function namespaceReport(namespace: string, rows: StoredAccessRow[], recent: StoredAccessRow[], state: AnalyticsState, from: number, to: number, topK: number): NamespaceReport {
  const reads = rows.filter((row) => READ_TIERS.has(row.tier))
  const readRequests = sum(reads, (row) => row.requests)
  const hits = sum(reads, (row) => row.hits)
  const stale = sum(reads, (row) => row.stale)
  const requests = sum(rows, (row) => row.requests)
  const tiers = [...groupBy(rows, (row) => row.tier)].map(([tier, tierRows]) => {
    const latency = newLatencyHistogram()
    for (const row of tierRows) latency.add(decodeHistogram(row.latency))
    const tierRequests = sum(tierRows, (row) => row.requests)
    const denominator = READ_TIERS.has(tier) ? readRequests : requests - readRequests
    return { tier, requests: tierRequests, share: denominator > 0 ? tierRequests / denominator : 0, latency: summarize(latency) }
  })
  const sketches = state.sketches.get(namespace)
  const series = seriesOf(rows)
  const report: Omit<NamespaceReport, 'recommendations'> = {
    namespace,
    requests,
    perSecond: requests / Math.max(1, (to - from) / 1000),
    hitRatio: readRequests > 0 ? hits / readRequests : null,
    staleRatio: readRequests > 0 ? stale / readRequests : null,
    bytes: sum(rows, (row) => row.bytes),
    evictions: sum(rows, (row) => row.evictions),
    tiers: tiers.sort((a, b) => b.requests - a.requests),
    hotKeys: sketches?.hotKeys.top(topK) ?? [],
    stampedeKeys: sketches?.stampedeKeys.top(Math.min(topK, 10)).filter((key) => key.count - key.error > 0) ?? [],
    keysHashed: sketches?.hashedKeys ?? false,
    ...(sketches !== undefined && sketches.mrcFed > 0 ? { mrc: mrcOf(sketches.mrc, state.l1MaxEntries) } : {}),
    series,
    trends: { hourOverHour: trends(recent, to, HOUR), dayOverDay: trends(recent, to, DAY) },
    anomalies: anomalies(seriesOf(recent)).filter((anomaly) => anomaly.bucket >= from && anomaly.bucket < to),
  }
  return { ...report, recommendations: recommend(report, sketches?.hotKeys.total ?? 0) }
}

const MULTIPLES = [0.25, 0.5, 1, 2, 4, 8]

function mrcOf(mrc: ShardsMrc, l1MaxEntries: number | undefined): NonNullable<NamespaceReport['mrc']> {
  const base = { samplingRate: mrc.rate, references: mrc.references, points: mrc.curve(mrcSizes(mrc.references)) }
  if (l1MaxEntries === undefined) return base
  return {
    ...base,
    l1MaxEntries,
    relative: MULTIPLES.map((multiple) => {
      const size = Math.max(1, Math.round(l1MaxEntries * multiple))
      return { multiple, size, hitRatio: mrc.hitRatio(size) }
    }),
  }
}

/** Sizes from 16 entries doubling up to past the key space seen (distinct keys ≤ references). */
function mrcSizes(references: number): number[] {
  const sizes: number[] = []
  for (let size = 16; sizes.length < 24; size *= 2) {
    sizes.push(size)
    if (size >= references) break
  }
  return sizes
}

/** The rows bucket by bucket, whatever their namespace and tier (the report's per-namespace series, GET /v1/series). */
export function seriesOf(rows: readonly StoredAccessRow[]): SeriesPoint[] {
  return [...groupBy(rows, (row) => row.bucket)]
    .sort(([a], [b]) => a - b)
    .map(([bucket, bucketRows]) => {
      const reads = bucketRows.filter((row) => READ_TIERS.has(row.tier))
      const readRequests = sum(reads, (row) => row.requests)
      const latency = newLatencyHistogram()
      for (const row of reads) latency.add(decodeHistogram(row.latency))
      const percentiles = latency.totalCount > 0 ? summarize(latency) : undefined
      return {
        bucket,
        requests: sum(bucketRows, (row) => row.requests),
        hitRatio: readRequests > 0 ? sum(reads, (row) => row.hits) / readRequests : null,
        p50Ms: percentiles?.p50 ?? null,
        p99Ms: percentiles?.p99 ?? null,
      }
    })
}

function trends(rows: readonly StoredAccessRow[], to: number, period: number): Trend[] {
  const window = (start: number) => {
    const inside = rows.filter((row) => row.bucket >= start && row.bucket < start + period)
    const reads = inside.filter((row) => READ_TIERS.has(row.tier))
    const readRequests = sum(reads, (row) => row.requests)
    return { requests: sum(inside, (row) => row.requests), hitRatio: readRequests > 0 ? sum(reads, (row) => row.hits) / readRequests : 0, readRequests }
  }
  const current = window(to - period)
  const previous = window(to - 2 * period)
  return [
    { metric: 'requests', current: current.requests, previous: previous.requests, change: previous.requests > 0 ? current.requests / previous.requests - 1 : null },
    { metric: 'hitRatio', current: current.hitRatio, previous: previous.hitRatio, change: previous.readRequests > 0 && current.readRequests > 0 ? (current.hitRatio - previous.hitRatio) * 100 : null },
  ]
}

/** A point more than 3σ from the mean of the (up to) 60 points before it, with at least 10 of them. */
export function anomalies(series: readonly SeriesPoint[]): Anomaly[] {
  const found: Anomaly[] = []
  for (const metric of ['hitRatio', 'p99Ms', 'requests'] as const) {
    for (let i = 10; i < series.length; i++) {
      const history = series
        .slice(Math.max(0, i - 60), i)
        .map((point) => point[metric])
        .filter((value): value is number => value !== null)
      const value = series[i]![metric]
      if (value === null || history.length < 10) continue
      const mean = history.reduce((a, b) => a + b, 0) / history.length
      const std = Math.sqrt(history.reduce((a, b) => a + (b - mean) ** 2, 0) / history.length)
      // A floor on σ: a perfectly flat history would flag the tiniest wobble.
      const floor = metric === 'hitRatio' ? 0.01 : Math.abs(mean) * 0.05
      const z = (value - mean) / Math.max(std, floor, 1e-9)
      if (Math.abs(z) > 3) found.push({ bucket: series[i]!.bucket, metric, value, mean, std, z })
    }
  }
  return found.sort((a, b) => a.bucket - b.bucket)
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>()
  for (const item of items) {
    const k = key(item)
    const group = groups.get(k)
    if (group === undefined) groups.set(k, [item])
    else group.push(item)
  }
  return groups
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0
  for (const item of items) total += value(item)
  return total
}

function sumBy<T, R>(items: readonly T[], key: (item: T) => string, create: (item: T) => R, add: (into: R, item: T) => void): R[] {
  const out = new Map<string, R>()
  for (const item of items) {
    const k = key(item)
    let into = out.get(k)
    if (into === undefined) out.set(k, (into = create(item)))
    add(into, item)
  }
  return [...out.values()]
}
