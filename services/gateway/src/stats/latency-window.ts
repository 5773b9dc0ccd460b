import type { Latency } from '@strata/api'

/** Sub-buckets per power of two: a bucket spans 2^(1/8) ≈ 9 %, so a percentile is within ±4.5 % of the truth. */
const STEPS_PER_DOUBLING = 8
/** Bucket 0 holds < 1 µs; the last holds everything from 2^27 µs (134 s) up. */
const BUCKETS = 27 * STEPS_PER_DOUBLING + 2
const SECONDS = 60


/**
 * Request latency over the last minute, for percentiles: a ring of 60 per-second histograms with log-spaced buckets
 * (the HdrHistogram idea at a fixed, coarse precision). Recording is a few arithmetic operations on a preallocated
 * array — no allocation, no timer: a second's slot is cleared when it is reused. Reading merges the live slots.
 */
export class LatencyWindow {
  private readonly counts = new Uint32Array(SECONDS * BUCKETS)
  /** Which epoch second each slot currently holds (-1: never used). */
  private readonly slotSecond = new Float64Array(SECONDS).fill(-1)

  /** One request that took `ms` milliseconds and ended at `nowMs`. */
  record(ms: number, nowMs: number): void {
    const second = Math.floor(nowMs / 1000)
    const slot = second % SECONDS
    if (this.slotSecond[slot] !== second) {
      this.counts.fill(0, slot * BUCKETS, slot * BUCKETS + BUCKETS)
      this.slotSecond[slot] = second
    }
    this.counts[slot * BUCKETS + bucketOf(ms)]!++
  }

  /** p50/p95/p99 in milliseconds of what was recorded in the 60 seconds up to `nowMs`; zeros when nothing was. */
  percentiles(nowMs: number): Latency {
    return LatencyWindow.combined([this], nowMs)
  }

  /** Percentiles of several windows taken together (every namespace: the gateway's totals). */
  static combined(windows: readonly LatencyWindow[], nowMs: number): Latency {
    const second = Math.floor(nowMs / 1000)
    const merged = new Float64Array(BUCKETS)
    let total = 0
    for (const window of windows) total += window.addTo(merged, second)
    if (total === 0) return { p50: 0, p95: 0, p99: 0 }
    return { p50: quantile(merged, total, 0.5), p95: quantile(merged, total, 0.95), p99: quantile(merged, total, 0.99) }
  }

  private addTo(merged: Float64Array, second: number): number {
    let total = 0
    for (let slot = 0; slot < SECONDS; slot++) {
      const held = this.slotSecond[slot]!
      if (held < 0 || held <= second - SECONDS || held > second) continue
      for (let b = 0; b < BUCKETS; b++) {
        const n = this.counts[slot * BUCKETS + b]!
        merged[b]! += n
        total += n
      }
    }
    return total
  }
}

function bucketOf(ms: number): number {
  const us = ms * 1000
  if (!(us >= 1)) return 0
  return Math.min(BUCKETS - 1, Math.floor(Math.log2(us) * STEPS_PER_DOUBLING) + 1)
}

/** The value (ms) of the bucket holding the q-th quantile: the geometric middle of its range, rounded to 0.001 ms. */
function quantile(merged: Float64Array, total: number, q: number): number {
  const rank = Math.ceil(q * total)
  let seen = 0
  for (let b = 0; b < BUCKETS; b++) {
    seen += merged[b]!
    if (seen >= rank) return b === 0 ? 0.001 : Math.round(2 ** ((b - 0.5) / STEPS_PER_DOUBLING)) / 1000
  }
  return 0
}
