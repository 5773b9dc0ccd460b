/**
 * Groups items handed over one at a time into handler calls of up to `batchSize`. The queue adapters run
 * `concurrency * batchSize` jobs at once and route each through here, so the queue keeps its per-job locks, retries
 * and stall recovery (BullMQ's batch workers are not in the open-source edition) while the handler sees batches;
 * the write-behind buffer routes producers' writes through here so a burst costs one script call.
 * Every item settles with its own entry of the handler's results, or with the batch's error. A `lingerMs` of 0 waits
 * for the end of the current event-loop turn (setImmediate): whatever arrived in it goes together.
 */
export class Batcher<J, R = void> {
  private waiting: Array<{ job: J; resolve: (result: R) => void; reject: (error: unknown) => void }> = []
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined

  constructor(
    private readonly handler: (jobs: J[]) => Promise<R[] | void>,
    private readonly batchSize: number,
    private readonly lingerMs: number,
  ) {}

  run(job: J): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ job, resolve, reject })
      if (this.waiting.length >= this.batchSize) this.flush()
      else this.timer ??= this.schedule()
    })
  }

  private schedule(): NodeJS.Timeout | NodeJS.Immediate {
    return this.lingerMs === 0 ? setImmediate(() => this.flush()) : setTimeout(() => this.flush(), this.lingerMs)
  }

  private cancel(): void {
    if (this.timer === undefined) return
    if (this.lingerMs === 0) clearImmediate(this.timer as NodeJS.Immediate)
    else clearTimeout(this.timer as NodeJS.Timeout)
    this.timer = undefined
  }

  private flush(): void {
    this.cancel()
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.batchSize)
      this.handler(batch.map((item) => item.job)).then(
        (results) => batch.forEach((item, i) => item.resolve((results as R[] | undefined)?.[i] as R)),
        (error: unknown) => batch.forEach((item) => item.reject(error)),
      )
      if (this.waiting.length < this.batchSize) break
    }
    if (this.waiting.length > 0) this.timer = this.schedule()
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
