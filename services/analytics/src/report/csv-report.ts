import { decodeHistogram, summarize } from '../sketches/latency-histogram.js'
import type { StoredAccessRow } from '../store/rollup-store.js'

const HEADER = ['bucket', 'granularity', 'namespace', 'tier', 'requests', 'hits', 'misses', 'stale', 'hit_ratio', 'bytes', 'evictions', 'p50_ms', 'p90_ms', 'p99_ms', 'p999_ms', 'max_ms']

/** Rollup rows as RFC 4180 CSV, one line per bucket, namespace and tier. */
export function rollupsCsv(rows: readonly StoredAccessRow[]): string {
  const lines = [HEADER.join(',')]
  for (const row of rows) {
    const latency = summarize(decodeHistogram(row.latency))
    const answered = row.hits + row.misses + row.stale
    lines.push(
      [
        new Date(row.bucket).toISOString(),
        row.granularity,
        field(row.namespace),
        field(row.tier),
        round(row.requests),
        round(row.hits),
        round(row.misses),
        round(row.stale),
        answered > 0 ? round(row.hits / answered, 4) : '',
        round(row.bytes),
        row.evictions,
        latency.p50,
        latency.p90,
        latency.p99,
        latency.p999,
        latency.max,
      ].join(','),
    )
  }
  return `${lines.join('\r\n')}\r\n`
}

function field(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}
