import { GRANULARITIES, addAccess, truncate, type AccessRow, type ErrorRow, type Granularity, type InvalidationRow } from '../aggregation/rollup-rows.js'
import { newLatencyHistogram } from '../sketches/latency-histogram.js'

export type RolledUp<T> = T & { granularity: Granularity }

/** The identity of an access row within its granularity: one row per (granularity, bucket, namespace, tier). */
export const accessRowId = (row: { granularity: Granularity; bucket: number; namespace: string; tier: string }): string => `${row.granularity}\0${row.bucket}\0${row.namespace}\0${row.tier}`

/**
 * Minute rows rolled up into their minute, hour and day rows, merged by row identity: what a store adds to what it
 * holds. Latency histograms are copied, never shared with the delta.
 */
export function rollUpAccess(rows: readonly AccessRow[]): Map<string, RolledUp<AccessRow>> {
  const merged = new Map<string, RolledUp<AccessRow>>()
  for (const granularity of GRANULARITIES) {
    for (const row of rows) {
      const bucket = truncate(row.bucket, granularity)
      const id = accessRowId({ granularity, bucket, namespace: row.namespace, tier: row.tier })
      const into = merged.get(id)
      if (into === undefined) {
        const latency = newLatencyHistogram()
        latency.add(row.latency)
        merged.set(id, { ...row, granularity, bucket, latency })
      } else addAccess(into, row)
    }
  }
  return merged
}

/** Error or invalidation rows copied into each granularity's bucket (not merged: stores sum them on insert). */
export function expandToGranularities<T extends ErrorRow | InvalidationRow>(rows: readonly T[]): Array<RolledUp<T>> {
  return GRANULARITIES.flatMap((granularity) => rows.map((row) => ({ ...row, granularity, bucket: truncate(row.bucket, granularity) })))
}
