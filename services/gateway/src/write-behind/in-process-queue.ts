import type { BufferedWrite, WriteBehindQueue } from '@strata/core'

export interface InProcessQueueOptions {
  /** How often buffered writes are flushed, ms. */
  intervalMs?: number
  onError?: (error: unknown, writes: readonly BufferedWrite[]) => void
}

/**
 * The embedded default's write-behind queue: writes are coalesced per key (latest version wins) and flushed in
 * batches on a timer. It is NOT durable — a crash loses what has not been flushed — which is why production wires the
 * BullMQ queue from packages/queue instead. A failed flush keeps the writes for the next round unless newer ones came.
 */
export class InProcessWriteBehindQueue implements WriteBehindQueue {
  private pending = new Map<string, BufferedWrite>()
  private readonly timer: NodeJS.Timeout
  private flushing: Promise<void> | undefined

  constructor(
    private readonly flushTo: (writes: readonly BufferedWrite[]) => Promise<void>,
    private readonly options: InProcessQueueOptions = {},
  ) {
    this.timer = setInterval(() => void this.flush(), options.intervalMs ?? 250).unref()
  }

  enqueue(write: BufferedWrite): Promise<void> {
    const id = `${write.namespace}\u0000${write.key}`
    const current = this.pending.get(id)
    if (current === undefined || current.version <= write.version) this.pending.set(id, write)
    return Promise.resolve()
  }

  discardTagged(namespace: string, tag: string): Promise<number> {
    let removed = 0
    for (const [id, write] of this.pending) {
      if (write.namespace === namespace && write.value !== null && write.tags?.includes(tag) === true) {
        this.pending.delete(id)
        removed++
      }
    }
    return Promise.resolve(removed)
  }

  get size(): number {
    return this.pending.size
  }

  /** Flushes what is buffered now (one flush at a time). */
  async flush(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing
    if (this.pending.size === 0) return
    const batch = this.pending
    this.pending = new Map()
    this.flushing = this.flushTo([...batch.values()])
      .catch((error: unknown) => {
        for (const [id, write] of batch) if (!this.pending.has(id)) this.pending.set(id, write)
        this.options.onError?.(error, [...batch.values()])
      })
      .finally(() => {
        this.flushing = undefined
      })
    await this.flushing
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
  }
}
