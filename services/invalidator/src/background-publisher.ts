/**
 * Collects items and hands them to `publish` in batches, off the caller's path; a failed batch is kept and tried
 * again (bounded: past `maxPending` the oldest items are dropped, since losing analytics beats unbounded memory).
 */
export class BackgroundPublisher<T> {
  private pending: T[] = []
  private flushing: Promise<void> | undefined
  private closed = false

  constructor(
    private readonly publish: (items: readonly T[]) => Promise<void>,
    private readonly maxBatch = 500,
    private readonly maxPending = 100_000,
    private readonly retryMs = 500,
    /**
     * How long the first item waits for others before a batch goes: one send per event would be a broker request on
     * every event's path (the invalidations it shares the broker with), for analytics that can wait.
     */
    private readonly lingerMs = 50,
  ) {}

  add(items: readonly T[]): void {
    this.pending.push(...items)
    if (this.pending.length > this.maxPending) this.pending.splice(0, this.pending.length - this.maxPending)
    this.flushing ??= this.flush()
  }

  /** Publishes what is pending (one last try), then stops. */
  async close(): Promise<void> {
    this.closed = true
    this.wake?.()
    await this.flushing
  }

  private wake: (() => void) | undefined

  private async flush(): Promise<void> {
    if (!this.closed && this.lingerMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.lingerMs)
        timer.unref()
        this.wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.wake = undefined
    }
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, this.maxBatch)
      try {
        await this.publish(batch)
        this.pending.splice(0, batch.length)
      } catch {
        if (this.closed) break
        await new Promise((resolve) => setTimeout(resolve, this.retryMs).unref())
      }
    }
    this.flushing = undefined
  }
}
