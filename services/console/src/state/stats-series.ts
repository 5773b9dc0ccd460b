import type { Latency, StatsSnapshot } from '../api/types.js'

/** All namespaces together, or one by name. */
export type Scope = { kind: 'all' } | { kind: 'namespace'; name: string }

/**
 * The overview's time series, derived from successive /v1/stats snapshots (cumulative counters): rates are deltas
 * over the poll interval, the hit ratio is over that interval too (not since start, which would hide a sudden drop).
 * Index i of every array is the interval ending at times[i]; a value is null where it cannot be known (first poll,
 * no reads in the interval, a counter that went down because the gateway restarted).
 */
export interface Series {
  times: number[]
  hitRatio: Array<number | null>
  requestsPerSec: Array<number | null>
  l1HitsPerSec: Array<number | null>
  l2HitsPerSec: Array<number | null>
  missesPerSec: Array<number | null>
  staleHitsPerSec: Array<number | null>
  errorsPerSec: Array<number | null>
  p50: Array<number | null>
  p95: Array<number | null>
  p99: Array<number | null>
}

interface Counters {
  requests: number
  hits: number
  l1Hits: number
  l2Hits: number
  misses: number
  /** Older gateways do not report it. */
  coalesced?: number
  staleHits: number
  errors: number
  latencyMs: Latency
}

function countersOf(snapshot: StatsSnapshot, scope: Scope): Counters | undefined {
  if (scope.kind === 'all') return snapshot.totals
  const ns = snapshot.namespaces.find((candidate) => candidate.name === scope.name)
  if (ns === undefined) return undefined
  // A namespace's requests are its reads and writes: what the tier counters and sets/deletes add up to.
  return { ...ns, requests: ns.hits + ns.misses + (ns.coalesced ?? 0) + ns.staleHits + ns.sets + ns.deletes }
}

export function buildSeries(snapshots: readonly StatsSnapshot[], scope: Scope): Series {
  const series: Series = { times: [], hitRatio: [], requestsPerSec: [], l1HitsPerSec: [], l2HitsPerSec: [], missesPerSec: [], staleHitsPerSec: [], errorsPerSec: [], p50: [], p95: [], p99: [] }
  for (let i = 0; i < snapshots.length; i++) {
    const current = snapshots[i]!
    const now = countersOf(current, scope)
    const previousSnapshot = i > 0 ? snapshots[i - 1]! : undefined
    const before = previousSnapshot === undefined ? undefined : countersOf(previousSnapshot, scope)
    const seconds = previousSnapshot === undefined ? 0 : (current.at - previousSnapshot.at) / 1000
    const rate = (pick: (counters: Counters) => number): number | null => {
      if (now === undefined || before === undefined || seconds <= 0) return null
      const delta = pick(now) - pick(before)
      return delta < 0 ? null : delta / seconds
    }
    series.times.push(current.at / 1000)
    // A read that joined a load under way counts as a hit, as the gateway's own ratio counts it.
    const hits = rate((c) => c.hits + (c.coalesced ?? 0))
    const misses = rate((c) => c.misses)
    series.hitRatio.push(hits === null || misses === null || hits + misses === 0 ? null : hits / (hits + misses))
    series.requestsPerSec.push(rate((c) => c.requests))
    series.l1HitsPerSec.push(rate((c) => c.l1Hits))
    series.l2HitsPerSec.push(rate((c) => c.l2Hits))
    series.missesPerSec.push(misses)
    series.staleHitsPerSec.push(rate((c) => c.staleHits))
    series.errorsPerSec.push(rate((c) => c.errors))
    series.p50.push(now?.latencyMs.p50 ?? null)
    series.p95.push(now?.latencyMs.p95 ?? null)
    series.p99.push(now?.latencyMs.p99 ?? null)
  }
  return series
}

/** The newest value of a series that is known, for the charts' text summaries. */
export function latest(values: ReadonlyArray<number | null>): number | null {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null && values[i] !== undefined) return values[i]!
  return null
}

/** Snapshots kept for the charts: a bounded window, oldest dropped first. */
export function appendSnapshot(snapshots: readonly StatsSnapshot[], next: StatsSnapshot, max = 180): StatsSnapshot[] {
  const kept = snapshots.length >= max ? snapshots.slice(snapshots.length - max + 1) : snapshots.slice()
  kept.push(next)
  return kept
}
