import { Queue, Worker, type Job as BullJob, type JobsOptions, type KeepJobs } from 'bullmq'
import { Redis } from 'ioredis'
import { batchingOptions, Batcher } from '../batcher.js'
import type { AddOptions, DeadLetter, Job, JobHandler, JobQueue, JobQueueOptions, JobWorker, ProcessOptions, QueueCounts } from '../job-queue.js'
import { resolveRetry, retryDelay, type RetryPolicy } from '../retry-policy.js'
import { activeTraceparent, withJobsSpan } from '../tracing/job-tracing.js'

/** What a job holds in Redis: the data and the producer's trace context beside it. */
interface Envelope<T> {
  d: T
  tp?: string
}

interface DeadEnvelope<T> extends Envelope<T> {
  id: string
  error: string
  attempts: number
  failedAt: number
}

export interface BullmqJobQueueOptions extends JobQueueOptions {
  /** The queue Redis (STRATA_QUEUE_REDIS_URL); it must run with appendonly yes and maxmemory-policy noeviction. */
  url: string
  /** BullMQ key prefix (default 'strata'). */
  prefix?: string
  /** Completed jobs kept for inspection (default: the last 1000, at most one hour). */
  removeOnComplete?: boolean | number | KeepJobs
  /** Failed jobs kept in BullMQ's failed set; their data is in the dead-letter queue anyway (default: the last 1000). */
  removeOnFail?: boolean | number | KeepJobs
  /** A job whose worker stops renewing its lock for this long is stalled and handed to another worker (default 30 s). */
  lockDurationMs?: number
  /** How often workers look for stalled jobs (default 15 s). */
  stalledIntervalMs?: number
  /** A job may stall this often before it fails (default 5: a crashed flusher should not dead-letter its batch). */
  maxStalledCount?: number
}

const RETRY_STRATEGY = 'strata-exponential-jitter'

/**
 * The job-queue port on BullMQ. `add` resolves after Redis replied to BullMQ's add script, so with the queue Redis'
 * append-only file the job survives a Redis restart. Failed jobs are retried with capped exponential backoff and
 * jitter (a custom strategy, since BullMQ's own has no cap); after the last attempt the job is copied to
 * `<name>-dead`, a BullMQ queue no worker consumes, keyed by the original job id so a crash between the copy and
 * BullMQ's own bookkeeping cannot make two dead letters.
 */
export class BullmqJobQueue<T> implements JobQueue<T> {
  private readonly client: Redis
  private readonly queue: Queue<Envelope<T>>
  private readonly dead: Queue<DeadEnvelope<T>>
  private readonly retry: RetryPolicy
  private readonly workers = new Set<BullmqWorker<T>>()
  private readonly jobOptions: JobsOptions

  constructor(
    readonly name: string,
    private readonly options: BullmqJobQueueOptions,
  ) {
    this.retry = resolveRetry(options.retry)
    // BullMQ needs commands that wait for a reconnect instead of failing after a few retries.
    this.client = new Redis(options.url, { maxRetriesPerRequest: null })
    this.client.on('error', () => undefined)
    const prefix = options.prefix ?? 'strata'
    this.jobOptions = {
      attempts: this.retry.attempts,
      backoff: { type: RETRY_STRATEGY },
      removeOnComplete: options.removeOnComplete ?? { count: 1000, age: 3600 },
      removeOnFail: options.removeOnFail ?? { count: 1000 },
    }
    this.queue = new Queue<Envelope<T>>(name, { connection: this.client, prefix, defaultJobOptions: this.jobOptions })
    this.dead = new Queue<DeadEnvelope<T>>(`${name}-dead`, { connection: this.client, prefix })
    this.queue.on('error', () => undefined)
    this.dead.on('error', () => undefined)
  }

  async add(data: T, options?: AddOptions): Promise<string> {
    const job = await this.queue.add(this.name, envelope(data, options), addOptions(options))
    return job.id!
  }

  async addBulk(items: ReadonlyArray<{ data: T; options?: AddOptions }>): Promise<string[]> {
    const jobs = await this.queue.addBulk(
      items.map((item) => ({ name: this.name, data: envelope(item.data, item.options), opts: { ...this.jobOptions, ...addOptions(item.options) } })),
    )
    return jobs.map((job) => job.id!)
  }

  process(handler: JobHandler<T>, options?: ProcessOptions): JobWorker {
    const worker = new BullmqWorker(this, handler, batchingOptions(options))
    this.workers.add(worker)
    return worker
  }

  async counts(): Promise<QueueCounts> {
    const [counts, dead] = await Promise.all([
      this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children'),
      this.dead.getWaitingCount(),
    ])
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts['waiting-children'] ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
      dead,
    }
  }

  async deadLetters(limit = 100): Promise<Array<DeadLetter<T>>> {
    const jobs = await this.dead.getWaiting(0, limit - 1)
    return jobs
      .map((job) => ({
        id: job.data.id,
        data: job.data.d,
        error: job.data.error,
        attempts: job.data.attempts,
        failedAt: job.data.failedAt,
        traceparent: job.data.tp,
      }))
      .sort((a, b) => b.failedAt - a.failedAt)
  }

  /** Deletes the queue, its dead letters and every job: for tests and tooling, never in a running system. */
  async obliterate(): Promise<void> {
    await this.queue.obliterate({ force: true })
    await this.dead.obliterate({ force: true })
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers].map((worker) => worker.close()))
    await this.queue.close()
    await this.dead.close()
    await this.client.quit().catch(() => this.client.disconnect())
  }

  /** @internal */
  createWorker(processor: (job: BullJob<Envelope<T>>) => Promise<void>, concurrency: number): { worker: Worker<Envelope<T>>; client: Redis } {
    const client = this.client.duplicate()
    client.on('error', () => undefined)
    const worker = new Worker<Envelope<T>>(this.name, processor, {
      connection: client,
      prefix: this.options.prefix ?? 'strata',
      concurrency,
      lockDuration: this.options.lockDurationMs ?? 30_000,
      stalledInterval: this.options.stalledIntervalMs ?? 15_000,
      maxStalledCount: this.options.maxStalledCount ?? 5,
      settings: { backoffStrategy: (attemptsMade: number) => retryDelay(this.retry, attemptsMade) },
    })
    worker.on('error', () => undefined)
    return { worker, client }
  }

  /** @internal Copies a job that failed its last attempt to the dead-letter queue. */
  async bury(job: BullJob<Envelope<T>>, error: unknown): Promise<void> {
    const letter: DeadEnvelope<T> = {
      ...job.data,
      id: job.id!,
      error: error instanceof Error ? error.message : String(error),
      attempts: job.attemptsMade + 1,
      failedAt: Date.now(),
    }
    // BullMQ refuses integer-looking custom ids, which its own ids are.
    await this.dead.add('dead', letter, { jobId: `dead-${job.id!}`, removeOnComplete: false, removeOnFail: false })
    this.options.onDeadLetter?.({ id: job.id!, data: letter.d, error: letter.error, attempts: letter.attempts, failedAt: letter.failedAt, traceparent: letter.tp })
  }

  /** @internal */
  isLastAttempt(job: BullJob<Envelope<T>>): boolean {
    return job.attemptsMade + 1 >= (job.opts.attempts ?? this.retry.attempts)
  }

  /** @internal */
  view(job: BullJob<Envelope<T>>): Job<T> {
    return {
      id: job.id!,
      data: job.data.d,
      attempt: job.attemptsMade + 1,
      maxAttempts: job.opts.attempts ?? this.retry.attempts,
      traceparent: job.data.tp,
      addedAt: job.timestamp,
    }
  }
}

class BullmqWorker<T> implements JobWorker {
  private readonly worker: Worker<Envelope<T>>
  private readonly client: Redis

  constructor(queue: BullmqJobQueue<T>, handler: JobHandler<T>, options: { concurrency: number; batchSize: number; lingerMs: number }) {
    const batcher = new Batcher<BullJob<Envelope<T>>>(
      (jobs) => {
        const views = jobs.map((job) => queue.view(job))
        return withJobsSpan(queue.name, views.map((job) => job.traceparent), () => handler(views))
      },
      options.batchSize,
      options.lingerMs,
    )
    const created = queue.createWorker(async (job) => {
      try {
        await batcher.run(job)
      } catch (error) {
        if (queue.isLastAttempt(job)) await queue.bury(job, error)
        throw error
      }
    }, options.concurrency * options.batchSize)
    this.worker = created.worker
    this.client = created.client
  }

  async close(): Promise<void> {
    await this.worker.close()
    await this.client.quit().catch(() => this.client.disconnect())
  }
}

/** The producer's trace context defaults to the active span's, so a job added inside a request continues its trace. */
function envelope<T>(data: T, options: AddOptions | undefined): Envelope<T> {
  const tp = options?.traceparent ?? activeTraceparent()
  return tp === undefined ? { d: data } : { d: data, tp }
}

function addOptions(options: AddOptions | undefined): JobsOptions {
  const opts: JobsOptions = {}
  if (options?.jobId !== undefined) opts.jobId = options.jobId
  if (options?.delayMs !== undefined && options.delayMs > 0) opts.delay = options.delayMs
  return opts
}
