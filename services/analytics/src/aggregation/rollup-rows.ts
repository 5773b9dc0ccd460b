import type { Granularity } from '@strata/api'
import type { Histogram } from 'hdr-histogram-js'
import type { SpaceSavingState } from '../sketches/space-saving.js'

export type { Granularity } from '@strata/api'
export const GRANULARITIES: readonly Granularity[] = ['minute', 'hour', 'day']

/** Usage and performance of one namespace and tier over one bucket. Counts are estimates (sampled accesses × 1/rate). */
export interface AccessRow {
  bucket: number
  namespace: string
  /** l1, l2, origin (loaded), none (a miss nothing answered), set, delete. */
  tier: string
  requests: number
  /** Accesses actually received (the latency histogram's count). */
  samples: number
  hits: number
  misses: number
  stale: number
  bytes: number
  evictions: number
  latency: Histogram
}

export interface ErrorRow {
  bucket: number
  code: string
  service: string
  namespace: string
  count: number
}

export interface InvalidationRow {
  bucket: number
  namespace: string
  kind: string
  count: number
  keys: number
}

/** Where consumption stands: the next offset to read per topic partition. */
export interface Position {
  topic: string
  partition: number
  nextOffset: string
}

/** A namespace's hot-key and stampede sketches as stored (see SpaceSaving.toJSON). */
export interface SketchSnapshot {
  namespace: string
  hotKeys: SpaceSavingState
  stampedeKeys: SpaceSavingState
  hashedKeys: boolean
}

/** Everything consumed since the last flush, with the positions it reaches: written in one transaction. */
export interface RollupDelta {
  /** Sketches of the namespaces touched since the last flush, whole (they are small and not additive). */
  sketches: SketchSnapshot[]
  access: AccessRow[]
  errors: ErrorRow[]
  invalidations: InvalidationRow[]
  positions: Position[]
}

/** Adds `row`'s counts and latencies into `into`. */
export function addAccess(into: AccessRow, row: AccessRow): void {
  into.requests += row.requests
  into.samples += row.samples
  into.hits += row.hits
  into.misses += row.misses
  into.stale += row.stale
  into.bytes += row.bytes
  into.evictions += row.evictions
  into.latency.add(row.latency)
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** The length of one bucket of `granularity`, ms (UTC days: no daylight-saving days). */
export function bucketMs(granularity: Granularity): number {
  return granularity === 'minute' ? MINUTE : granularity === 'hour' ? HOUR : DAY
}

export function truncate(at: number, granularity: Granularity): number {
  const size = bucketMs(granularity)
  return Math.floor(at / size) * size
}
