import { EventEmitter } from 'node:events'
import { StrataError } from '@strata/core'
import { fieldOf, refOf, startFlushTrace, type Job, type JobQueue, type JobWorker, type PendingWrites } from '@strata/queue'
import { FlushCounters, type WriteBehindMetrics } from './flush-metrics.js'
import type { FlushOrigin, FlushRecord } from './origins/flush-origin.js'

/** A flush job: keys leased from the buffer (as buffer fields); values are read from the buffer when it runs. */
export interface FlushJob {
  fields: string[]
}

/** A write the origin never took; kept with its value so it can be inspected and replayed. */
export interface DeadWrite extends FlushRecord {
  error: string
  attempts: number
  deadAt: number
}

/**
 * The error event raised for each dead-lettered write. Shaped for `strata.errors.v1`: the bus publisher plugs in
 * through `onError`. It names the key and version, never the value.
 */
export interface WriteBehindErrorEvent {
  type: 'strata.write-behind.dead-letter'
  code: 'E_ORIGIN_REJECTED'
  message: string
  queue: string
  origin: string
  namespace: string
  key: string
  version: number
  attempts: number
  traceparent: string | undefined
  time: string
}

export interface WriteBehindFlusherOptions {
  /** Name shared with the producers' buffer (labels metrics and events). */
  name: string
  pending: PendingWrites
  /** The BullMQ (or in-process) queue carrying flush jobs; its retry policy is the flush retry policy. */
  jobs: JobQueue<FlushJob>
  /** Where dead writes are kept (a queue nobody consumes until an operator replays it). */
  deadLetters: JobQueue<DeadWrite>
  origin: FlushOrigin
  /** Keys per flush job (default 500). */
  batchSize?: number
  /** How often the dispatcher looks for pending writes when it found less than a batch (default 100 ms). */
  intervalMs?: number
  /** Flush jobs run at once in this process (default 2). */
  concurrency?: number
  /** How long a claimed key belongs to its flush job before another may claim it (default 60 s). */
  leaseMs?: number
  /** The dispatcher stops claiming while this many flush jobs wait (default 4 x concurrency). */
  maxQueuedJobs?: number
  /** Error events (dead letters); the Kafka `strata.errors.v1` publisher goes here. */
  onError?: (event: WriteBehindErrorEvent) => void
  clock?: () => number
}

export interface WriteBehindFlusherEvents {
  flushed: [records: readonly FlushRecord[], at: number]
  'dead-letter': [event: WriteBehindErrorEvent]
  'dispatch-error': [error: unknown]
}

/**
 * Moves acknowledged writes from the buffer to the origin. A dispatcher leases ready keys in batches into BullMQ
 * flush jobs; workers read the latest pending value of each key, upsert the batch guarded by version, and settle
 * what the origin took. Per-key ordering needs no queue ordering: the buffer holds one version per key, the origin
 * refuses an older version, and settle only removes the version that was written. Crashes anywhere re-flush at most.
 */
export class WriteBehindFlusher extends EventEmitter<WriteBehindFlusherEvents> {
  private readonly counters = new FlushCounters()
  private readonly batchSize: number
  private readonly intervalMs: number
  private readonly concurrency: number
  private readonly leaseMs: number
  private readonly maxQueuedJobs: number
  private readonly clock: () => number
  private worker: JobWorker | undefined
  private dispatching: Promise<void> | undefined
  private running = false
  private wake: (() => void) | undefined
  /** Whether the last dispatch claimed keys (or found the job queue full): only then is the queue checked first. */
  private busy = true

  constructor(private readonly options: WriteBehindFlusherOptions) {
    super()
    this.batchSize = positive('batchSize', options.batchSize ?? 500)
    this.intervalMs = positive('intervalMs', options.intervalMs ?? 100)
    this.concurrency = positive('concurrency', options.concurrency ?? 2)
    this.leaseMs = positive('leaseMs', options.leaseMs ?? 60_000)
    this.maxQueuedJobs = positive('maxQueuedJobs', options.maxQueuedJobs ?? 4 * this.concurrency)
    this.clock = options.clock ?? Date.now
  }

  get isRunning(): boolean {
    return this.running
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.worker = this.options.jobs.process(([job]) => this.flush(job!), { concurrency: this.concurrency })
    this.dispatching = this.dispatchLoop()
  }

  /** Stops claiming, then waits for the flush jobs in progress to finish (a SIGTERM finishes the current batch). */
  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    this.wake?.()
    await this.dispatching
    await this.worker?.close()
    this.worker = undefined
  }

  async getMetrics(): Promise<WriteBehindMetrics> {
    const now = this.clock()
    const [stats, counts] = await Promise.all([this.options.pending.stats(now), this.options.jobs.counts()])
    return {
      queueDepth: stats.depth,
      flushLagMs: stats.oldestAt === undefined ? 0 : Math.max(0, now - stats.oldestAt),
      jobs: { waiting: counts.waiting, active: counts.active, delayed: counts.delayed },
      flushedRecords: this.counters.flushedRecords,
      batches: this.counters.batches,
      batchSizes: this.counters.batchSizes(),
      failures: this.counters.failures,
      deadLetters: this.counters.deadLetters,
    }
  }

  private async dispatchLoop(): Promise<void> {
    while (this.running) {
      let claimed = 0
      try {
        claimed = await this.dispatchOnce()
      } catch (error) {
        this.emit('dispatch-error', error)
      }
      if (claimed < this.batchSize && this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.intervalMs)
          this.wake = () => {
            clearTimeout(timer)
            resolve()
          }
        })
      }
    }
  }

  /** Leases one batch of ready keys into a flush job; returns how many keys it took. */
  private async dispatchOnce(): Promise<number> {
    // Keys wait in the buffer, where further writes coalesce, rather than in a long line of jobs. An idle dispatcher
    // (its last claim found nothing) skips that check: it is two scripts on the queue Redis every interval for a
    // line that cannot have grown from here, and the first batch after a lull exceeds the limit by one job at most.
    if (this.busy) {
      const counts = await this.options.jobs.counts()
      if (counts.waiting >= this.maxQueuedJobs) return 0
    }
    const refs = await this.options.pending.claim(this.batchSize, this.leaseMs, this.clock())
    this.busy = refs.length > 0
    if (refs.length === 0) return 0
    // If this process dies before the add, the lease lapses and the keys are claimed again: nothing is lost.
    await this.options.jobs.add({ fields: refs.map(fieldOf) })
    return refs.length
  }

  private async flush(job: Job<FlushJob>): Promise<void> {
    const { pending, origin } = this.options
    const refs = job.data.fields.map(refOf)
    // Both in one round trip: the read does not depend on the renewal (a key settled meanwhile reads as missing).
    const [, writes] = await Promise.all([pending.renew(refs, this.leaseMs, this.clock()), pending.read(refs)])
    const records = coalesce(writes.filter((write) => write !== undefined))
    if (records.length === 0) return
    const last = job.attempt >= job.maxAttempts
    // The flush job itself is added by the dispatcher, outside any trace; the producers' contexts ride on the writes.
    const traced = startFlushTrace(this.options.name, records, this.clock())
    let rejected: Array<{ record: FlushRecord; error: Error }>
    try {
      rejected = (await traced.run(() => origin.write(records))).rejected
      traced.end({ rejected: new Map(rejected.map(({ record, error }) => [record, error])) })
    } catch (error) {
      traced.end({ error })
      this.counters.failures++
      if (!last) throw error
      rejected = records.map((record) => ({ record, error: error instanceof Error ? error : new Error(String(error)) }))
    }
    const applied = rejected.length === 0 ? records : records.filter((record) => !rejected.some((r) => r.record === record))
    if (applied.length > 0) {
      await pending.settle(applied)
      this.counters.recordBatch(applied.length)
      this.emit('flushed', applied, this.clock())
    }
    if (rejected.length === 0) return
    if (!last) {
      this.counters.failures++
      throw new StrataError('E_ORIGIN_REJECTED', `The origin refused ${rejected.length} of ${records.length} writes: ${rejected[0]!.error.message}`, {
        context: { attempt: job.attempt, rejected: rejected.length },
      })
    }
    await this.bury(rejected, job)
  }

  /** Keeps the writes in the dead-letter queue (durably, before they leave the buffer) and raises error events. */
  private async bury(rejected: Array<{ record: FlushRecord; error: Error }>, job: Job<FlushJob>): Promise<void> {
    const deadAt = this.clock()
    await this.options.deadLetters.addBulk(
      rejected.map(({ record, error }) => ({ data: { ...record, error: error.message, attempts: job.attempt, deadAt } })),
    )
    await this.options.pending.settle(rejected.map(({ record }) => record))
    for (const { record, error } of rejected) {
      this.counters.deadLetters++
      const event: WriteBehindErrorEvent = {
        type: 'strata.write-behind.dead-letter',
        code: 'E_ORIGIN_REJECTED',
        message: `Write-behind gave up on ${record.namespace}/${record.key} v${record.version} after ${job.attempt} attempts: ${error.message}`,
        queue: this.options.name,
        origin: this.options.origin.kind,
        namespace: record.namespace,
        key: record.key,
        version: record.version,
        attempts: job.attempt,
        // The write's producer (the request that made it); the flush job carries none of its own.
        traceparent: record.traceparent ?? job.traceparent,
        time: new Date(deadAt).toISOString(),
      }
      this.emit('dead-letter', event)
      this.options.onError?.(event)
    }
  }
}

/** One record per key, the highest version winning (a batch may name a key twice after a lapsed lease). */
export function coalesce(writes: ReadonlyArray<FlushRecord>): FlushRecord[] {
  const latest = new Map<string, FlushRecord>()
  for (const write of writes) {
    const field = fieldOf(write)
    const seen = latest.get(field)
    if (seen === undefined || seen.version < write.version) {
      const record: FlushRecord = { namespace: write.namespace, key: write.key, value: write.value, version: write.version, at: write.at }
      if (write.traceparent !== undefined) record.traceparent = write.traceparent
      latest.set(field, record)
    }
  }
  return [...latest.values()]
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new StrataError('E_INVALID_OPTION', `write-behind ${name} must be > 0, got ${value}`, { context: { option: name } })
  return value
}

