import type { Expr, LabelMatcher, Selector } from '@strata/config'
import type { MetricSample } from './metric-source.js'

interface Snapshot {
  at: number
  series: MetricSample[]
}

export interface GroupValue {
  labels: Record<string, string>
  value: number
}

/**
 * The scraped samples of the last `retainMs`, and the evaluation of a rule's expression over them. Kept in memory:
 * after a restart windows refill within one window length, and alert state itself is persisted elsewhere.
 */
export class MetricHistory {
  private readonly snapshots: Snapshot[] = []

  constructor(private retainMs: number) {}

  retainAtLeast(ms: number): void {
    this.retainMs = Math.max(this.retainMs, ms)
  }

  record(at: number, series: MetricSample[]): void {
    this.snapshots.push({ at, series })
    while (this.snapshots.length > 2 && this.snapshots[1]!.at <= at - this.retainMs) this.snapshots.shift()
  }

  /**
   * Whether the history can answer `expr` over `windowMs` as it would in steady state: a gauge needs one scrape, a
   * counter expression a full window of them. Until then (after a start) a rule is not evaluated at all, so neither
   * a partial window nor "no value yet" can fire or resolve anything.
   */
  covers(expr: Expr, windowMs: number): boolean {
    const first = this.snapshots[0]
    const latest = this.snapshots.at(-1)
    if (first === undefined || latest === undefined) return false
    return 'gauge' in expr || latest.at - first.at >= windowMs
  }

  /** The expression's value per group of `by` labels; a group with no value (no data, zero denominator) is absent. */
  evaluate(expr: Expr, by: readonly string[], windowMs: number): Map<string, GroupValue> {
    const latest = this.snapshots.at(-1)
    if (latest === undefined) return new Map()
    if ('gauge' in expr) {
      const agg = expr.gauge.agg ?? 'sum'
      const fold = agg === 'sum' ? (a: number, b: number) => a + b : agg === 'max' ? Math.max : Math.min
      return group(select(latest.series, expr.gauge), by, fold)
    }
    const base = this.baseFor(latest.at - windowMs)
    if (base === undefined || base === latest) return new Map()
    // Each series from its oldest sample in the window: one that appeared after the window began (an error code seen
    // for the first time) counts from there, as Prometheus' increase() does, instead of being skipped.
    const inWindow = this.snapshots.slice(this.snapshots.indexOf(base), -1)
    const deltas = (selector: Selector) => group(increases(oldestSamples(inWindow.map((snapshot) => select(snapshot.series, selector))), select(latest.series, selector)), by, (a, b) => a + b)
    if ('increase' in expr) return deltas(expr.increase)
    if ('rate' in expr) {
      const seconds = (latest.at - base.at) / 1000
      return mapValues(deltas(expr.rate), (value) => value / seconds)
    }
    if ('ratio' in expr) {
      const numerator = deltas(expr.ratio.numerator)
      const result = new Map<string, GroupValue>()
      for (const [key, denominator] of deltas(expr.ratio.denominator)) {
        if (denominator.value <= 0) continue
        result.set(key, { labels: denominator.labels, value: (numerator.get(key)?.value ?? 0) / denominator.value })
      }
      return result
    }
    const { q, ...selector } = expr.quantile
    const bucketSelector = { ...selector, metric: `${selector.metric}_bucket` }
    const buckets = increases(select(base.series, bucketSelector), select(latest.series, bucketSelector))
    const perGroup = new Map<string, { labels: Record<string, string>; buckets: Map<number, number> }>()
    for (const sample of buckets) {
      const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le)
      if (Number.isNaN(le)) continue
      const labels = pick(sample.labels, by)
      const key = keyOf(labels)
      const entry = perGroup.get(key) ?? { labels, buckets: new Map<number, number>() }
      entry.buckets.set(le, (entry.buckets.get(le) ?? 0) + sample.value)
      perGroup.set(key, entry)
    }
    const result = new Map<string, GroupValue>()
    for (const [key, entry] of perGroup) {
      const value = histogramQuantile(q, entry.buckets)
      if (value !== undefined) result.set(key, { labels: entry.labels, value })
    }
    return result
  }

  /** The oldest snapshot at or after `time`: the base of a window delta. */
  private baseFor(time: number): Snapshot | undefined {
    return this.snapshots.find((snapshot) => snapshot.at >= time) ?? this.snapshots.at(-1)
  }
}

/** Prometheus' histogram_quantile: linear interpolation inside the bucket holding the rank. */
export function histogramQuantile(q: number, cumulative: Map<number, number>): number | undefined {
  const bounds = [...cumulative.entries()].sort((a, b) => a[0] - b[0])
  const total = bounds.at(-1)?.[1]
  if (total === undefined || total <= 0) return undefined
  const rank = q * total
  let previousBound = 0
  let previousCount = 0
  for (const [bound, count] of bounds) {
    if (count >= rank) {
      if (bound === Infinity) return previousBound
      const inBucket = count - previousCount
      return inBucket <= 0 ? bound : previousBound + ((bound - previousBound) * (rank - previousCount)) / inBucket
    }
    previousBound = bound
    previousCount = count
  }
  return previousBound
}

function select(series: readonly MetricSample[], selector: Selector): MetricSample[] {
  const matchers = Object.entries(selector.match ?? {})
  return series.filter((sample) => sample.name === selector.metric && matchers.every(([label, matcher]) => matches(sample.labels[label], matcher)))
}

function matches(value: string | undefined, matcher: LabelMatcher): boolean {
  if (value === undefined) return false
  if (typeof matcher === 'string') return value === matcher
  if (Array.isArray(matcher)) return matcher.includes(value)
  return new RegExp(matcher.re).test(value)
}

/** Each series' first sample, in the order of the snapshots given. */
function oldestSamples(snapshots: readonly (readonly MetricSample[])[]): MetricSample[] {
  const oldest = new Map<string, MetricSample>()
  for (const samples of snapshots) {
    for (const sample of samples) {
      const key = sample.name + keyOf(sample.labels)
      if (!oldest.has(key)) oldest.set(key, sample)
    }
  }
  return [...oldest.values()]
}

/** Per-series counter increase; a series missing from the base is skipped, a decrease is a reset (counts from 0). */
function increases(base: readonly MetricSample[], latest: readonly MetricSample[]): MetricSample[] {
  const before = new Map(base.map((sample) => [sample.name + keyOf(sample.labels), sample.value]))
  const result: MetricSample[] = []
  for (const sample of latest) {
    const old = before.get(sample.name + keyOf(sample.labels))
    if (old === undefined) continue
    result.push({ ...sample, value: sample.value >= old ? sample.value - old : sample.value })
  }
  return result
}

function group(samples: readonly MetricSample[], by: readonly string[], fold: (a: number, b: number) => number): Map<string, GroupValue> {
  const result = new Map<string, GroupValue>()
  for (const sample of samples) {
    const labels = pick(sample.labels, by)
    const key = keyOf(labels)
    const current = result.get(key)
    result.set(key, { labels, value: current === undefined ? sample.value : fold(current.value, sample.value) })
  }
  return result
}

function mapValues(values: Map<string, GroupValue>, f: (value: number) => number): Map<string, GroupValue> {
  return new Map([...values].map(([key, entry]) => [key, { labels: entry.labels, value: f(entry.value) }]))
}

function pick(labels: Readonly<Record<string, string>>, by: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {}
  for (const name of by) {
    const value = labels[name]
    if (value !== undefined) result[name] = value
  }
  return result
}

export function keyOf(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.keys(labels).sort().map((name) => [name, labels[name]]))
}
