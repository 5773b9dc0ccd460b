/**
 * Groups jobs that a queue hands out one at a time into handler calls of up to `batchSize`. The adapters run
 * `concurrency * batchSize` jobs at once and route each through here, so the queue keeps its per-job locks, retries
 * and stall recovery (BullMQ's batch workers are not in the open-source edition) while the handler sees batches.
 * Every job of a batch settles with the batch's outcome.
 */
export class Batcher<J> {
  private waiting: Array<{ job: J; resolve: () => void; reject: (error: unknown) => void }> = []
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly handler: (jobs: J[]) => Promise<void>,
    private readonly batchSize: number,
    private readonly lingerMs: number,
  ) {}

  run(job: J): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ job, resolve, reject })
      if (this.waiting.length >= this.batchSize) this.flush()
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs)
    })
  }

  private flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.batchSize)
      this.handler(batch.map((item) => item.job)).then(
        () => batch.forEach((item) => item.resolve()),
        (error: unknown) => batch.forEach((item) => item.reject(error)),
      )
      if (this.waiting.length < this.batchSize) break
    }
    if (this.waiting.length > 0) this.timer = setTimeout(() => this.flush(), this.lingerMs)
  }
}

export function batchingOptions(options: { concurrency?: number; batchSize?: number; lingerMs?: number } | undefined): {
  concurrency: number
  batchSize: number
  lingerMs: number
} {
  const concurrency = options?.concurrency ?? 1
  const batchSize = options?.batchSize ?? 1
  const lingerMs = options?.lingerMs ?? 5
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`)
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`)
  if (!(lingerMs >= 0)) throw new RangeError(`lingerMs must be >= 0, got ${lingerMs}`)
  return { concurrency, batchSize, lingerMs }
}
