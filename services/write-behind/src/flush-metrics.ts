/** The flusher's counters; gauges (depth, lag, jobs) are read from the buffer and the queue when asked. */
export interface WriteBehindMetrics {
  /** Keys with a pending (acknowledged, unflushed) write. */
  queueDepth: number
  /** Age of the oldest pending write, ms (0 when nothing is pending). */
  flushLagMs: number
  /** Flush jobs waiting, running or waiting for a retry. */
  jobs: { waiting: number; active: number; delayed: number }
  /** Records applied to the origin (a key counts once per flush, however many writes it coalesced). */
  flushedRecords: number
  batches: number
  /** Batch sizes: count per upper bound (cumulative, Prometheus style) and the sum. */
  batchSizes: { buckets: Array<[number, number]>; sum: number; count: number }
  /** Flush attempts that failed (origin unavailable or rows rejected). */
  failures: number
  /** Records moved to the dead-letter queue. */
  deadLetters: number
}

const BUCKETS = [1, 10, 50, 100, 250, 500, 1000, 5000]

export class FlushCounters {
  flushedRecords = 0
  batches = 0
  failures = 0
  deadLetters = 0
  private readonly bucketCounts = BUCKETS.map(() => 0)
  private sizeSum = 0

  recordBatch(size: number): void {
    this.batches++
    this.flushedRecords += size
    this.sizeSum += size
    for (let i = 0; i < BUCKETS.length; i++) if (size <= BUCKETS[i]!) this.bucketCounts[i]!++
  }

  batchSizes(): WriteBehindMetrics['batchSizes'] {
    return { buckets: BUCKETS.map((bound, i) => [bound, this.bucketCounts[i]!]), sum: this.sizeSum, count: this.batches }
  }
}

/** Prometheus text exposition (version 0.0.4) of the metrics, names per CONVENTIONS.md. */
export function renderPrometheus(m: WriteBehindMetrics, queue: string): string {
  const q = `queue="${queue.replace(/["\\\n]/g, '_')}"`
  const lines = [
    '# HELP strata_write_behind_queue_depth Keys with an acknowledged write not yet flushed to the origin.',
    '# TYPE strata_write_behind_queue_depth gauge',
    `strata_write_behind_queue_depth{${q}} ${m.queueDepth}`,
    '# HELP strata_write_behind_flush_lag_seconds Age of the oldest acknowledged write not yet flushed.',
    '# TYPE strata_write_behind_flush_lag_seconds gauge',
    `strata_write_behind_flush_lag_seconds{${q}} ${m.flushLagMs / 1000}`,
    '# HELP strata_write_behind_jobs Flush jobs by state.',
    '# TYPE strata_write_behind_jobs gauge',
    ...(['waiting', 'active', 'delayed'] as const).map((state) => `strata_write_behind_jobs{${q},state="${state}"} ${m.jobs[state]}`),
    '# HELP strata_write_behind_flushed_records_total Records applied to the origin.',
    '# TYPE strata_write_behind_flushed_records_total counter',
    `strata_write_behind_flushed_records_total{${q}} ${m.flushedRecords}`,
    '# HELP strata_write_behind_batch_size Records per flushed batch.',
    '# TYPE strata_write_behind_batch_size histogram',
    ...m.batchSizes.buckets.map(([bound, count]) => `strata_write_behind_batch_size_bucket{${q},le="${bound}"} ${count}`),
    `strata_write_behind_batch_size_bucket{${q},le="+Inf"} ${m.batchSizes.count}`,
    `strata_write_behind_batch_size_sum{${q}} ${m.batchSizes.sum}`,
    `strata_write_behind_batch_size_count{${q}} ${m.batchSizes.count}`,
    '# HELP strata_write_behind_flush_failures_total Flush attempts that failed and will be retried or dead-lettered.',
    '# TYPE strata_write_behind_flush_failures_total counter',
    `strata_write_behind_flush_failures_total{${q}} ${m.failures}`,
    '# HELP strata_write_behind_dead_letters_total Writes moved to the dead-letter queue after their last attempt.',
    '# TYPE strata_write_behind_dead_letters_total counter',
    `strata_write_behind_dead_letters_total{${q}} ${m.deadLetters}`,
  ]
  return lines.join('\n') + '\n'
}
