import type { SeriesReport } from '../api/types.js'

/** The Overview's history ranges: the analytics window and the rollup granularity that keeps each under ~200 points. */
export const HISTORY_RANGES = [
  { value: '15m', label: '15 minutes', granularity: 'minute', bucketMs: 60_000 },
  { value: '1h', label: '1 hour', granularity: 'minute', bucketMs: 60_000 },
  { value: '24h', label: '24 hours', granularity: 'hour', bucketMs: 3_600_000 },
  { value: '7d', label: '7 days', granularity: 'hour', bucketMs: 3_600_000 },
] as const

export type HistoryRange = (typeof HISTORY_RANGES)[number]['value']

export function rangeOf(value: string): (typeof HISTORY_RANGES)[number] {
  return HISTORY_RANGES.find((range) => range.value === value) ?? HISTORY_RANGES[1]
}

/** The rollups as chart lines: times in seconds, requests as a rate over the bucket (comparable across ranges). */
export interface HistoryLines {
  times: number[]
  hitRatio: Array<number | null>
  requestsPerSec: Array<number | null>
  p50: Array<number | null>
  p99: Array<number | null>
}

export function historyLines(report: SeriesReport, bucketMs: number): HistoryLines {
  const points = report.series
  return {
    times: points.map((point) => point.bucket / 1000),
    hitRatio: points.map((point) => point.hitRatio),
    requestsPerSec: points.map((point) => point.requests / (bucketMs / 1000)),
    p50: points.map((point) => point.p50Ms),
    p99: points.map((point) => point.p99Ms),
  }
}
