import { ErrorEventPublisher, createEvent, outsideTrace, publishEvents, type AccessBatchEvent, type AccessEvent, type ErrorReport, type Transport } from '@strata/bus'
import { topicUse } from '../topic-use.js'

export interface AccessPublisherOptions {
  /** Names this gateway in every batch. */
  instance: string
  topic?: string
  /** Where `strata.error.v1` events go. Default `strata.errors.v1`. */
  errorsTopic?: string
  /** Accesses per published batch. Default 500. */
  maxBatch?: number
  /** A partial batch is published after this long. Default 250 ms. */
  flushIntervalMs?: number
  /** Accesses held while a publish is in flight; beyond this they are dropped and counted. Default 20 000. */
  maxBuffered?: number
  onError?: (error: unknown) => void
  /** The L1 capacity in entries, sent with every batch (analytics reads its miss-ratio curves against it). */
  l1MaxEntries?: number
}

export interface AccessPublisherStats {
  published: number
  dropped: number
  batches: number
  failedBatches: number
}

/**
 * Collects sampled accesses and publishes them in batches, off the request path: `record` only appends to an array.
 * One publish is in flight at a time; while the bus is slow the buffer fills to `maxBuffered` and further accesses
 * are dropped (and counted, and reported in the next batch) rather than holding requests or memory. A failed batch is
 * dropped too: access analytics are sampled, so losing a batch skews nothing but the volume.
 */
export class AccessPublisher {
  private buffer: AccessEvent[] = []
  /** Errors go out as every service's do: batched off the request path, bounded, keyed by namespace. */
  private readonly errors: ErrorEventPublisher
  private evictions: Record<string, number> = {}
  private droppedSinceBatch = 0
  private inFlight: Promise<void> | undefined
  private readonly timer: NodeJS.Timeout
  private readonly options: Required<Omit<AccessPublisherOptions, 'onError' | 'l1MaxEntries'>> & Pick<AccessPublisherOptions, 'onError' | 'l1MaxEntries'>
  readonly stats: AccessPublisherStats = { published: 0, dropped: 0, batches: 0, failedBatches: 0 }
  private closed = false

  constructor(private readonly transport: Transport, options: AccessPublisherOptions) {
    this.options = { topic: topicUse.produced.access, errorsTopic: topicUse.produced.errors, maxBatch: 500, flushIntervalMs: 250, maxBuffered: 20_000, ...options }
    this.errors = new ErrorEventPublisher(transport, {
      service: 'gateway',
      source: `strata/gateway/${this.options.instance}`,
      topic: this.options.errorsTopic,
      onPublishError: (error) => this.options.onError?.(error),
    })
    this.timer = setInterval(() => this.flush(), this.options.flushIntervalMs)
    this.timer.unref()
  }

  record(access: AccessEvent): void {
    if (this.closed || this.buffer.length >= this.options.maxBuffered) {
      this.stats.dropped++
      this.droppedSinceBatch++
      return
    }
    this.buffer.push(access)
    if (this.buffer.length >= this.options.maxBatch) this.flush()
  }

  /** Errors are not sampled: each one is published (bounded like accesses; beyond the bound they are dropped too). */
  recordError(error: ErrorReport): void {
    const before = this.errors.stats.dropped
    this.errors.report(error)
    this.stats.dropped += this.errors.stats.dropped - before
  }

  countEviction(namespace: string): void {
    this.evictions[namespace] = (this.evictions[namespace] ?? 0) + 1
  }

  /** Starts publishing what is buffered unless a publish is already in flight (it continues when that one ends). */
  flush(): void {
    if (this.inFlight !== undefined) return
    if (this.buffer.length === 0 && this.droppedSinceBatch === 0 && Object.keys(this.evictions).length === 0) return
    // A batch holds many requests' accesses: it belongs to none of their traces.
    this.inFlight = outsideTrace(() => this.publishAll()).finally(() => {
      this.inFlight = undefined
    })
  }

  /** Publishes what is left and stops; accesses recorded afterwards are dropped. */
  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.inFlight
    this.flush()
    this.closed = true
    await this.inFlight
    await this.errors.close()
  }

  private async publishAll(): Promise<void> {
    while (this.buffer.length > 0 || this.droppedSinceBatch > 0 || Object.keys(this.evictions).length > 0) {
      const accesses = this.buffer.splice(0, this.options.maxBatch)
      const data: AccessBatchEvent = { instance: this.options.instance, accesses, dropped: this.droppedSinceBatch }
      if (Object.keys(this.evictions).length > 0) data.evictions = this.evictions
      if (this.options.l1MaxEntries !== undefined) data.l1MaxEntries = this.options.l1MaxEntries
      this.evictions = {}
      this.droppedSinceBatch = 0
      try {
        // Keyed by instance: one gateway's batches stay in order on one partition.
        await publishEvents(this.transport, this.options.topic, [createEvent({ type: 'strata.access.batch.v1', source: `strata/gateway/${this.options.instance}`, data })], () => this.options.instance)
        this.stats.published += accesses.length
        this.stats.batches++
      } catch (error) {
        this.stats.failedBatches++
        this.stats.dropped += accesses.length
        this.options.onError?.(error)
        return
      }
    }
  }
}
