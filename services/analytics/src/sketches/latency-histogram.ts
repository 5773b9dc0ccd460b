import * as hdr from 'hdr-histogram-js'
import type { LatencySummary } from '@strata/api'

// Microseconds from 1 µs to one hour at 3 significant digits: percentiles are exact to 0.1%.
const HIGHEST_US = 3_600_000_000

export function newLatencyHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3 })
}

export function recordLatencyMs(histogram: hdr.Histogram, latencyMs: number, count = 1): void {
  const us = Math.min(HIGHEST_US, Math.max(1, Math.round(latencyMs * 1000)))
  if (count === 1) histogram.recordValue(us)
  else histogram.recordValueWithCount(us, count)
}

export function summarize(histogram: hdr.Histogram): LatencySummary {
  const at = (percentile: number) => histogram.getValueAtPercentile(percentile) / 1000
  return { count: histogram.totalCount, p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: histogram.maxValue / 1000 }
}

/** The compressed form HdrHistogram defines (V2 encoding, base64), as stored in PostgreSQL: mergeable later. */
export function encodeHistogram(histogram: hdr.Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram)
}

export function decodeHistogram(encoded: string): hdr.Histogram {
  const decoded = hdr.decodeFromCompressedBase64(encoded)
  // Decoded histograms take the encoded range; re-home into the standard one so adds never overflow.
  const histogram = newLatencyHistogram()
  histogram.add(decoded)
  return histogram
}
