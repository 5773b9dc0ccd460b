import { describe, expect, it } from 'vitest'
import { LatencyWindow } from './latency-window.js'

describe('LatencyWindow', () => {
  it('answers zeros before anything is recorded', () => {
    expect(new LatencyWindow().percentiles(1_000_000)).toEqual({ p50: 0, p95: 0, p99: 0 })
  })

  it('gives p50/p95/p99 within 5 % of the exact quantiles', () => {
    const window = new LatencyWindow()
    const now = 1_700_000_000_000
    // 1..1000 ms, spread over 10 seconds: exact p50 = 500, p95 = 950, p99 = 990.
    for (let i = 1; i <= 1000; i++) window.record(i, now + (i % 10) * 1000)
    const p = window.percentiles(now + 10_000)
    expect(Math.abs(p.p50 - 500) / 500).toBeLessThan(0.05)
    expect(Math.abs(p.p95 - 950) / 950).toBeLessThan(0.05)
    expect(Math.abs(p.p99 - 990) / 990).toBeLessThan(0.05)
  })

  it('forgets what is older than 60 seconds, and reuses a slot for a new second', () => {
    const window = new LatencyWindow()
    const start = 1_700_000_000_000
    for (let i = 0; i < 100; i++) window.record(100, start)
    window.record(2, start + 30_000)
    expect(window.percentiles(start + 30_000).p50).toBeGreaterThan(90)
    // 60 s later the first second has left the window: only the 2 ms request remains.
    expect(window.percentiles(start + 60_000).p50).toBeCloseTo(2, 0)
    // Recording in the slot the first second used (start + 60 s) clears it first.
    window.record(5, start + 60_000)
    expect(window.percentiles(start + 60_000).p99).toBeLessThan(6)
    expect(window.percentiles(start + 200_000)).toEqual({ p50: 0, p95: 0, p99: 0 })
  })

  it('keeps sub-microsecond and huge durations in the edge buckets', () => {
    const window = new LatencyWindow()
    window.record(0, 5_000)
    window.record(1e9, 5_000)
    const p = window.percentiles(5_000)
    expect(p.p50).toBe(0.001)
    expect(p.p99).toBeGreaterThan(100_000)
  })
})
