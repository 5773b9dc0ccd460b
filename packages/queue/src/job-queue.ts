import type { RetryPolicy } from './retry-policy.js'

/**
 * The job-queue port: the narrow surface Strata's services need from a queue (write-behind batches, warming,
 * webhooks). BullMQ on Redis is the real adapter; the in-process adapter serves the embedded default. One contract
 * suite (`@strata/queue/testing`) runs unchanged against both.
 */
export interface JobQueue<T> {
  readonly name: string
  /** Resolves with the job id once the queue has accepted the job (for BullMQ: Redis replied to the add). */
  add(data: T, options?: AddOptions): Promise<string>
  /** Adds many jobs in one round trip. */
  addBulk(items: ReadonlyArray<{ data: T; options?: AddOptions }>): Promise<string[]>
  /**
   * Starts a worker. The handler receives up to `batchSize` jobs at once; a throw fails every job of that call, each
   * is retried by the queue's retry policy and goes to the dead-letter queue after its last attempt.
   */
  process(handler: JobHandler<T>, options?: ProcessOptions): JobWorker
  counts(): Promise<QueueCounts>
  /** The most recent dead letters, newest first. */
  deadLetters(limit?: number): Promise<Array<DeadLetter<T>>>
  /** Stops accepting jobs and releases connections; workers started here are closed first. */
  close(): Promise<void>
}

export interface AddOptions {
  /** A job with an id the queue already holds (waiting, delayed or active) is not added again. No ':' allowed. */
  jobId?: string
  delayMs?: number
  /** W3C trace context of the producer, carried in the job data so the worker continues the trace. */
  traceparent?: string
}

export interface ProcessOptions {
  /** How many handler calls run at once (default 1). */
  concurrency?: number
  /** Up to this many jobs per handler call (default 1). */
  batchSize?: number
  /** How long a partial batch waits for more jobs before it runs (default 5 ms). */
  lingerMs?: number
}

export interface Job<T> {
  readonly id: string
  readonly data: T
  /** 1 for the first run, then 2, 3, ... */
  readonly attempt: number
  readonly maxAttempts: number
  readonly traceparent: string | undefined
  /** When the job was added (epoch ms). */
  readonly addedAt: number
}

export type JobHandler<T> = (jobs: ReadonlyArray<Job<T>>) => Promise<void>

export interface JobWorker {
  /** Waits for the running handler calls to finish, then stops taking jobs. */
  close(): Promise<void>
}

export interface QueueCounts {
  waiting: number
  active: number
  delayed: number
  failed: number
  dead: number
}

export interface DeadLetter<T> {
  id: string
  data: T
  error: string
  attempts: number
  failedAt: number
  traceparent: string | undefined
}

export interface JobQueueOptions {
  retry?: Partial<RetryPolicy>
  /** Called after a job was moved to the dead-letter queue (an error event for the bus). */
  onDeadLetter?: (letter: DeadLetter<unknown>) => void
}
