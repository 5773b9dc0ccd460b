import { describe, expect, it } from 'vitest'
import { MetricHistory, histogramQuantile } from './metric-history.js'
import type { MetricSample } from './metric-source.js'

const requests = (hits: number, misses: number, namespace = 'a'): MetricSample[] => [
  { name: 'strata_cache_requests_total', labels: { namespace, tier: 'l1', result: 'hit' }, value: hits },
  { name: 'strata_cache_requests_total', labels: { namespace, tier: 'none', result: 'miss' }, value: misses },
]
const hitRatio = {
  ratio: {
    numerator: { metric: 'strata_cache_requests_total', match: { result: ['hit', 'stale'] } },
    denominator: { metric: 'strata_cache_requests_total' },
  },
}

describe('MetricHistory', () => {
  it('computes a ratio from counter deltas over the window, not from the totals since start', () => {
    const history = new MetricHistory(10_000)
    history.record(0, requests(1000, 0))
    history.record(1000, requests(1000, 0))
    history.record(2000, requests(1010, 30))
    // Over the last 1 s: 10 hits, 30 misses. Since start it would be 1010 / 1040.
    expect([...history.evaluate(hitRatio, ['namespace'], 1000).values()]).toEqual([{ labels: { namespace: 'a' }, value: 0.25 }])
    // No traffic in the window: no value, rather than 0/0.
    history.record(3000, requests(1010, 30))
    expect(history.evaluate(hitRatio, ['namespace'], 1000).size).toBe(0)
  })

  it('counts a series that appeared inside the window from its first sample (it is not skipped)', () => {
    const history = new MetricHistory(10_000)
    const errors = (value: number): MetricSample[] => [{ name: 'strata_error_events_total', labels: { code: 'E_EVENT_INVALID' }, value }]
    history.record(0, [])
    history.record(1000, errors(0))
    history.record(2000, errors(3))
    expect([...history.evaluate({ increase: { metric: 'strata_error_events_total' } }, ['code'], 5000).values()]).toEqual([{ labels: { code: 'E_EVENT_INVALID' }, value: 3 }])
    // Once its first sample left the window, the delta is from the oldest one still in it.
    history.record(3000, errors(4))
    expect([...history.evaluate({ increase: { metric: 'strata_error_events_total' } }, ['code'], 1000).values()]).toEqual([{ labels: { code: 'E_EVENT_INVALID' }, value: 1 }])
  })

  it('treats a counter that went down as restarted from zero, and needs two snapshots for a delta', () => {
    const history = new MetricHistory(10_000)
    history.record(0, requests(500, 500))
    expect(history.evaluate({ increase: { metric: 'strata_cache_requests_total' } }, [], 1000).size).toBe(0)
    history.record(1000, requests(3, 1))
    expect([...history.evaluate({ increase: { metric: 'strata_cache_requests_total' } }, [], 1000).values()]).toEqual([{ labels: {}, value: 4 }])
    expect([...history.evaluate({ rate: { metric: 'strata_cache_requests_total' } }, [], 1000).values()][0]!.value).toBe(4)
  })

  it('groups by labels, aggregates gauges and matches regular expressions', () => {
    const history = new MetricHistory(10_000)
    history.record(0, [
      { name: 'lag', labels: { queue: 'q1', status_code: '503' }, value: 3 },
      { name: 'lag', labels: { queue: 'q1', status_code: '200' }, value: 7 },
      { name: 'lag', labels: { queue: 'q2', status_code: '500' }, value: 1 },
    ])
    expect([...history.evaluate({ gauge: { metric: 'lag', agg: 'max' } }, ['queue'], 0).values()]).toEqual([
      { labels: { queue: 'q1' }, value: 7 },
      { labels: { queue: 'q2' }, value: 1 },
    ])
    expect([...history.evaluate({ gauge: { metric: 'lag', match: { status_code: { re: '^5' } } } }, [], 0).values()]).toEqual([{ labels: {}, value: 4 }])
  })

  it('interpolates histogram quantiles like Prometheus', () => {
    expect(histogramQuantile(0.5, new Map([[0.1, 50], [0.2, 100], [Infinity, 100]]))).toBeCloseTo(0.1)
    expect(histogramQuantile(0.99, new Map([[0.1, 50], [0.2, 100], [Infinity, 100]]))).toBeCloseTo(0.198)
    expect(histogramQuantile(0.99, new Map([[0.1, 0], [Infinity, 10]]))).toBe(0.1)
    expect(histogramQuantile(0.99, new Map([[Infinity, 0]]))).toBeUndefined()
  })
})
