import type { BufferedWrite, WriteBehindQueue } from '@strata/core'
import { startFlushTrace, withBufferAddSpan } from '@strata/queue'

type TracedBufferedWrite = BufferedWrite & { traceparent?: string }

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
  private pending = new Map<string, TracedBufferedWrite>()
  private readonly timer: NodeJS.Timeout
  private flushing: Promise<void> | undefined

  constructor(
    private readonly flushTo: (writes: readonly BufferedWrite[]) => Promise<void>,
    private readonly options: InProcessQueueOptions = {},
  ) {
    this.timer = setInterval(() => void this.flush(), options.intervalMs ?? 250).unref()
  }

  /** Traced like the durable buffer (`<queue> publish`, then a `<queue> flush` continuing or linking the writes). */
  enqueue(write: BufferedWrite): Promise<void> {
    return withBufferAddSpan('write-behind', write.namespace, (traceparent) => {
      const id = `${write.namespace}\u0000${write.key}`
      const current = this.pending.get(id)
      if (current === undefined || current.version <= write.version) this.pending.set(id, traceparent === undefined ? write : { ...write, traceparent })
      return Promise.resolve()
    })
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
    const writes = [...batch.values()]
    const traced = startFlushTrace('write-behind', writes, Date.now())
    this.flushing = traced
      .run(() => this.flushTo(writes))
      .then(
        () => traced.end({}),
        (error: unknown) => {
          traced.end({ error })
          for (const [id, write] of batch) if (!this.pending.has(id)) this.pending.set(id, write)
          this.options.onError?.(error, writes)
        },
      )
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
