import { Queue, Worker } from 'bullmq'
import { Redis } from 'ioredis'
import type { WarmScheduler } from './warm-scheduler.js'

export interface BullmqWarmSchedulerOptions {
  /** The queue Redis (STRATA_QUEUE_REDIS_URL). */
  url: string
  /** Queue name. Default `strata-warmer`. */
  name?: string
  prefix?: string
}

/** Schedules as BullMQ job schedulers (repeatable jobs with a cron pattern); every warmer process is a worker. */
export class BullmqWarmScheduler implements WarmScheduler {
  private readonly queue: Queue
  private worker: Worker | undefined
  private readonly connection: Redis
  private readonly name: string
  private readonly prefix: string

  constructor(options: BullmqWarmSchedulerOptions) {
    this.name = options.name ?? 'strata-warmer'
    this.prefix = options.prefix ?? 'strata'
    // BullMQ workers block on Redis: they need maxRetriesPerRequest null.
    this.connection = new Redis(options.url, { maxRetriesPerRequest: null })
    this.queue = new Queue(this.name, { connection: this.connection, prefix: this.prefix })
  }

  async schedule(target: string, cron: string): Promise<void> {
    await this.queue.upsertJobScheduler(target, { pattern: cron }, { name: 'warm', data: { target }, opts: { removeOnComplete: 100, removeOnFail: 100 } })
  }

  async start(handler: (target: string) => Promise<void>): Promise<void> {
    this.worker = new Worker(this.name, (job) => handler((job.data as { target: string }).target), {
      connection: this.connection.duplicate(),
      prefix: this.prefix,
      concurrency: 1,
    })
    await this.worker.waitUntilReady()
  }

  /** Removes every schedule (tests, decommissioning); workers keep running. */
  async removeAll(): Promise<void> {
    for (const scheduler of await this.queue.getJobSchedulers()) await this.queue.removeJobScheduler(scheduler.key)
  }

  async close(): Promise<void> {
    await this.worker?.close()
    await this.queue.close()
    this.connection.disconnect()
  }
}
