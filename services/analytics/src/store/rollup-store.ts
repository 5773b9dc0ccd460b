import type { AccessRow, ErrorRow, Granularity, InvalidationRow, RollupDelta, SketchSnapshot } from '../aggregation/rollup-rows.js'

export interface RetentionPolicy {
  /** Milliseconds each granularity is kept. Defaults: minute 2 days, hour 35 days, day 400 days. */
  minute: number
  hour: number
  day: number
}

export const DEFAULT_RETENTION: RetentionPolicy = { minute: 2 * 86_400_000, hour: 35 * 86_400_000, day: 400 * 86_400_000 }

export interface StoredAccessRow extends Omit<AccessRow, 'latency'> {
  granularity: Granularity
  /** HdrHistogram, compressed base64. */
  latency: string
}

export interface RollupQuery {
  granularity: Granularity
  from: number
  to: number
  namespace?: string
}

/**
 * Where rollups, consumer positions and sketches live. `write` adds one delta to the minute, hour and day rows AND
 * stores the positions it reaches atomically: a consumer that resumes from the stored positions counts every message
 * once. Queries include the bucket holding `from` (an hourly report over the last 90 minutes shows both hours).
 * Adapters: PostgreSQL (production) and memory (the embedded platform, tests); both pass `runRollupStoreContract`.
 */
export interface RollupStore {
  ensureSchema(): Promise<void>
  /** Where `consumer` stands, per "topic\0partition". */
  positions(consumer: string): Promise<Map<string, bigint>>
  /** The hot-key and stampede sketches as of the stored positions. */
  sketches(consumer: string): Promise<SketchSnapshot[]>
  write(consumer: string, delta: RollupDelta): Promise<void>
  /** Ordered by bucket, namespace, tier. */
  accessRows(query: RollupQuery): Promise<StoredAccessRow[]>
  /** Ordered by bucket, code. */
  errorRows(query: RollupQuery): Promise<Array<ErrorRow & { granularity: Granularity }>>
  /** Ordered by bucket, namespace. */
  invalidationRows(query: RollupQuery): Promise<Array<InvalidationRow & { granularity: Granularity }>>
  /** Deletes rows older than the retention of their granularity; returns how many went. */
  applyRetention(now: number, retention?: RetentionPolicy): Promise<number>
}
