import { batchingOptions, Batcher } from '../batcher.js'
import type { AddOptions, DeadLetter, Job, JobHandler, JobQueue, JobQueueOptions, JobWorker, ProcessOptions, QueueCounts } from '../job-queue.js'
import { resolveRetry, retryDelay, type RetryPolicy } from '../retry-policy.js'
import { activeTraceparent, withJobsSpan } from '../tracing/job-tracing.js'

interface MemoryJob<T> {
  id: string
  data: T
  traceparent: string | undefined
  addedAt: number
  attemptsMade: number
  state: 'waiting' | 'delayed' | 'active'
  timer?: NodeJS.Timeout
}

/**
 * The in-process adapter for the embedded single-process mode: same semantics as the BullMQ adapter (retries with
 * backoff, dead letters, job-id deduplication, batches), nothing survives the process. Not for production writes.
 */
export class MemoryJobQueue<T> implements JobQueue<T> {
  private readonly jobs = new Map<string, MemoryJob<T>>()
  private readonly ready: Array<MemoryJob<T>> = []
  private readonly dead: Array<DeadLetter<T>> = []
  private readonly workers = new Set<MemoryWorker<T>>()
  private readonly retry: RetryPolicy
  private failed = 0
  private nextId = 1
  private closed = false

  constructor(
    readonly name: string,
    private readonly options: JobQueueOptions = {},
  ) {
    this.retry = resolveRetry(options.retry)
  }

  add(data: T, options?: AddOptions): Promise<string> {
    return Promise.resolve(this.addNow(data, options))
  }

  addBulk(items: ReadonlyArray<{ data: T; options?: AddOptions }>): Promise<string[]> {
    return Promise.resolve(items.map((item) => this.addNow(item.data, item.options)))
  }

  process(handler: JobHandler<T>, options?: ProcessOptions): JobWorker {
    const worker = new MemoryWorker(this, handler, batchingOptions(options))
    this.workers.add(worker)
    this.pump()
    return worker
  }

  counts(): Promise<QueueCounts> {
    const counts: QueueCounts = { waiting: 0, active: 0, delayed: 0, failed: this.failed, dead: this.dead.length }
    for (const job of this.jobs.values()) counts[job.state]++
    return Promise.resolve(counts)
  }

  deadLetters(limit = 100): Promise<Array<DeadLetter<T>>> {
    return Promise.resolve(this.dead.slice(-limit).reverse())
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all([...this.workers].map((worker) => worker.close()))
    for (const job of this.jobs.values()) clearTimeout(job.timer)
  }

  /** @internal Hands the next ready job to a worker with a free slot. */
  pump(): void {
    for (const worker of this.workers) {
      while (worker.hasSlot() && this.ready.length > 0) {
        const job = this.ready.shift()!
        job.state = 'active'
        worker.start(job)
      }
    }
  }

  /** @internal */
  settle(job: MemoryJob<T>, error: unknown): void {
    if (error === undefined) {
      this.jobs.delete(job.id)
    } else {
      job.attemptsMade++
      if (job.attemptsMade >= this.retry.attempts) {
        this.jobs.delete(job.id)
        this.failed++
        const letter: DeadLetter<T> = {
          id: job.id,
          data: job.data,
          error: error instanceof Error ? error.message : JSON.stringify(error),
          attempts: job.attemptsMade,
          failedAt: Date.now(),
          traceparent: job.traceparent,
        }
        this.dead.push(letter)
        this.options.onDeadLetter?.(letter)
      } else {
        this.delay(job, retryDelay(this.retry, job.attemptsMade))
      }
    }
    this.pump()
  }

  /** @internal */
  view(job: MemoryJob<T>): Job<T> {
    return {
      id: job.id,
      data: job.data,
      attempt: job.attemptsMade + 1,
      maxAttempts: this.retry.attempts,
      traceparent: job.traceparent,
      addedAt: job.addedAt,
    }
  }

  private addNow(data: T, options: AddOptions | undefined): string {
    if (this.closed) throw new Error(`Queue '${this.name}' is closed`)
    const id = options?.jobId ?? String(this.nextId++)
    if (this.jobs.has(id)) return id
    const job: MemoryJob<T> = { id, data, traceparent: options?.traceparent ?? activeTraceparent(), addedAt: Date.now(), attemptsMade: 0, state: 'waiting' }
    this.jobs.set(id, job)
    if ((options?.delayMs ?? 0) > 0) this.delay(job, options!.delayMs!)
    else this.ready.push(job)
    this.pump()
    return id
  }

  private delay(job: MemoryJob<T>, ms: number): void {
    job.state = 'delayed'
    job.timer = setTimeout(() => {
      job.state = 'waiting'
      this.ready.push(job)
      this.pump()
    }, ms)
  }
}

class MemoryWorker<T> implements JobWorker {
  private readonly batcher: Batcher<MemoryJob<T>>
  private readonly running = new Set<Promise<void>>()
  private closed = false

  constructor(
    private readonly queue: MemoryJobQueue<T>,
    handler: JobHandler<T>,
    private readonly options: { concurrency: number; batchSize: number; lingerMs: number },
  ) {
    this.batcher = new Batcher(
      (jobs) => {
        const views = jobs.map((job) => queue.view(job))
        return withJobsSpan(queue.name, views.map((job) => job.traceparent), () => handler(views))
      },
      options.batchSize,
      options.lingerMs,
    )
  }

  hasSlot(): boolean {
    return !this.closed && this.running.size < this.options.concurrency * this.options.batchSize
  }

  start(job: MemoryJob<T>): void {
    const run: Promise<void> = this.batcher
      .run(job)
      .then(
        () => undefined,
        (error: unknown) => error ?? new Error('handler failed'),
      )
      .then((error) => {
        // Free the slot before settling: settling pumps the next job into it.
        this.running.delete(run)
        this.queue.settle(job, error)
      })
    this.running.add(run)
  }

  async close(): Promise<void> {
    this.closed = true
    while (this.running.size > 0) await Promise.all(this.running)
  }
}
