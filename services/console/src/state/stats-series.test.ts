import { describe, expect, it } from 'vitest'
import type { StatsSnapshot } from '../api/types.js'
import { appendSnapshot, buildSeries, latest } from './stats-series.js'

const zero = { p50: 0, p95: 0, p99: 0 }
function snapshot(at: number, ns: { hits: number; misses: number; l1Hits: number; errors?: number; p99?: number }): StatsSnapshot {
  const latencyMs = { p50: 1, p95: 2, p99: ns.p99 ?? 3 }
  return {
    at,
    uptimeMs: at,
    totals: { requests: ns.hits + ns.misses, hits: ns.hits, l1Hits: ns.l1Hits, l2Hits: ns.hits - ns.l1Hits, misses: ns.misses, coalesced: 0, staleHits: 0, errors: ns.errors ?? 0, hitRatio: 0, latencyMs },
    namespaces: [
      { name: 'products', requests: ns.hits + ns.misses, hits: ns.hits, l1Hits: ns.l1Hits, l2Hits: ns.hits - ns.l1Hits, misses: ns.misses, coalesced: 0, staleHits: 0, sets: 0, deletes: 0, errors: ns.errors ?? 0, hitRatio: 0, l1Entries: 1, latencyMs },
      { name: 'idle', requests: 0, hits: 0, l1Hits: 0, l2Hits: 0, misses: 0, coalesced: 0, staleHits: 0, sets: 0, deletes: 0, errors: 0, hitRatio: 0, l1Entries: 0, latencyMs: zero },
    ],    proxy: [],
  }
}

describe('buildSeries', () => {
  it('derives per-interval rates and the hit ratio over each interval, not since start', () => {
    const series = buildSeries(
      [snapshot(1_000, { hits: 0, misses: 0, l1Hits: 0 }), snapshot(3_000, { hits: 90, misses: 10, l1Hits: 60 }), snapshot(5_000, { hits: 90, misses: 110, l1Hits: 60, errors: 4 })],
      { kind: 'all' },
    )
    expect(series.times).toEqual([1, 3, 5])
    expect(series.hitRatio).toEqual([null, 0.9, 0])
    expect(series.requestsPerSec).toEqual([null, 50, 50])
    expect(series.l1HitsPerSec).toEqual([null, 30, 0])
    expect(series.l2HitsPerSec).toEqual([null, 15, 0])
    expect(series.errorsPerSec).toEqual([null, 0, 2])
    expect(series.p99).toEqual([3, 3, 3])
  })

  it('scopes to one namespace, and leaves a gap where no read happened or a counter went down (restart)', () => {
    const snaps = [snapshot(0, { hits: 10, misses: 0, l1Hits: 10 }), snapshot(1_000, { hits: 20, misses: 0, l1Hits: 20 }), snapshot(2_000, { hits: 5, misses: 5, l1Hits: 5 })]
    expect(buildSeries(snaps, { kind: 'namespace', name: 'products' }).hitRatio).toEqual([null, 1, null])
    expect(buildSeries(snaps, { kind: 'namespace', name: 'idle' }).hitRatio).toEqual([null, null, null])
    expect(buildSeries(snaps, { kind: 'namespace', name: 'missing' }).p50).toEqual([null, null, null])
  })

  it('latest() is the newest known value; appendSnapshot keeps a bounded window', () => {
    expect(latest([1, 2, null])).toBe(2)
    expect(latest([null])).toBeNull()
    let kept: StatsSnapshot[] = []
    for (let i = 0; i < 5; i++) kept = appendSnapshot(kept, snapshot(i, { hits: 0, misses: 0, l1Hits: 0 }), 3)
    expect(kept.map((s) => s.at)).toEqual([2, 3, 4])
  })
})
