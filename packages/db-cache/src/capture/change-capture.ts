import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api'
import { createEvent, publishEvents, type EventEnvelope, type TableChangeEvent, type Transport } from '@strata/bus'
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication'
import { ensureReplicationSlot, type ReplicationSetup } from './replication-slot.js'
import { TransactionChanges, type CommittedTransaction, type PgoutputMessage } from './transaction-changes.js'
import { topicUse } from './topic-use.js'

// Through @opentelemetry/api only: a no-op until a service starts the SDK (@strata/telemetry).
const tracer = trace.getTracer('@strata/db-cache')

export interface ChangeCaptureOptions extends ReplicationSetup {
  transport: Transport
  /** Default `strata.table-changes.v1`. */
  topic?: string
  /** CloudEvents `source`. Default `strata/capture/<slot>`. */
  source?: string
  /** Row keys carried per table per transaction. Default 100. */
  maxKeysPerEvent?: number
  /** Transactions received but not yet on Kafka before the stream is paused. Default 1,000. */
  maxPending?: number
  /** Kafka publish retries back off up to this. Default 5 s. */
  maxBackoffMs?: number
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void
}

export interface CaptureProgress {
  transactions: number
  events: number
  /** The last LSN confirmed to PostgreSQL (every change before it is on Kafka). */
  confirmedLsn: string
}

/**
 * Reads a logical replication slot (pgoutput) and publishes one `strata.table-change.v1` event per table per committed
 * transaction. The slot is confirmed only up to transactions Kafka has acknowledged, so a crash at any point replays
 * from the last published transaction: changes are delivered at least once, never skipped. Event ids are derived from
 * slot, commit LSN and table, so a replayed change has the id it had the first time (consumers may dedupe on it).
 */
export class ChangeCapture {
  private readonly service: LogicalReplicationService
  private readonly changes: TransactionChanges
  private readonly topic: string
  private readonly source: string
  private readonly maxPending: number
  private readonly maxBackoffMs: number
  private pending: CommittedTransaction[] = []
  private flushing: Promise<void> | undefined
  private stopped = false
  private streaming: Promise<unknown> | undefined
  private live = false
  readonly progress: CaptureProgress = { transactions: 0, events: 0, confirmedLsn: '0/0' }
  private readonly listeners = new Set<(events: readonly EventEnvelope<TableChangeEvent>[]) => void>()

  constructor(private readonly options: ChangeCaptureOptions) {
    this.topic = options.topic ?? topicUse.produced.tableChanges
    this.source = options.source ?? `strata/capture/${options.slot}`
    this.maxPending = options.maxPending ?? 1_000
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000
    this.changes = new TransactionChanges(options.maxKeysPerEvent ?? 100)
    // No automatic acknowledgement: the library would confirm what it received, not what reached Kafka. Its timer
    // (timeoutSeconds) would do the same, so it is off; keepalives are answered below with the safe position.
    this.service = new LogicalReplicationService(
      { connectionString: options.connectionString },
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
    )
    this.service.on('data', (_lsn: string, message: PgoutputMessage) => this.onMessage(message))
    this.service.on('heartbeat', (_lsn: string, _timestamp: number, shouldRespond: boolean) => {
      if (shouldRespond) void this.service.acknowledge(this.progress.confirmedLsn)
    })
    this.service.on('error', (error: Error) => this.log('error', 'replication stream error', { err: error.message }))
  }

  /** Called after each batch of events is on Kafka (before the slot is confirmed). */
  onPublished(listener: (events: readonly EventEnvelope<TableChangeEvent>[]) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Creates publication and slot when missing and starts streaming from the slot's confirmed position. */
  async start(): Promise<void> {
    this.progress.confirmedLsn = await ensureReplicationSlot(this.options)
    const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [this.options.publication] })
    // A restarted capture may find the slot still held by its killed predecessor until PostgreSQL notices the
    // connection is gone: retry for a while.
    const deadline = Date.now() + 60_000
    for (let attempt = 1; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          this.service.once('start', () => resolve())
          this.streaming = this.service.subscribe(plugin, this.options.slot).catch((error: unknown) => {
            this.live = false
            reject(error instanceof Error ? error : new Error(String(error)))
            if (!this.stopped) this.log('error', 'replication stopped', { err: String(error) })
          })
        })
        this.live = true
        this.log('info', 'capturing', { slot: this.options.slot, publication: this.options.publication, from: this.progress.confirmedLsn })
        return
      } catch (error) {
        this.service.removeAllListeners('start')
        const active = /is active for PID/.test(String(error))
        if (!active || Date.now() > deadline) throw error
        this.log('warn', 'slot still held by a previous connection; retrying', { attempt })
        await sleep(Math.min(200 * attempt, 2_000))
      }
    }
  }

  /** True from a successful start until the replication stream ends (stop, or a lost connection: restart then). */
  get isStreaming(): boolean {
    return this.live && !this.stopped
  }

  /** Stops reading, publishes what was received and confirms it. */
  async stop(): Promise<void> {
    this.stopped = true
    await this.flushing
    await this.service.stop()
    await this.streaming
  }

  private async onMessage(message: PgoutputMessage): Promise<void> {
    const committed = this.changes.add(message)
    if (committed === undefined) return
    this.pending.push(committed)
    this.flushing ??= this.flush()
    // Backpressure: with flow control on, the stream stays paused while this handler waits.
    if (this.pending.length >= this.maxPending) await this.flushing
  }

  /** Publishes everything pending in one Kafka call (group commit), then confirms the last commit's end LSN. */
  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending
        this.pending = []
        await this.publishBatch(batch)
      }
    } finally {
      this.flushing = undefined
    }
  }

  /**
   * One committed batch in a root span `cdc.capture`: the events are created inside it, so each envelope carries
   * its traceparent and the bus's producer span is its child; the invalidator and the db-cache followers that act on
   * a change continue that trace. A database change has no caller to continue: each batch starts its own trace.
   */
  private publishBatch(batch: CommittedTransaction[]): Promise<void> {
    const attributes = { 'strata.cdc.slot': this.options.slot, 'messaging.destination.name': this.topic, 'strata.cdc.transactions': batch.length }
    return tracer.startActiveSpan('cdc.capture', { root: true, attributes }, ROOT_CONTEXT, async (span) => {
      try {
        const at = Date.now()
        const events = batch.flatMap((transaction) =>
          transaction.changes.map((change) =>
            createEvent<TableChangeEvent>({
              id: `${this.options.slot}:${change.lsn}:${change.schema}.${change.table}`,
              type: 'strata.table-change.v1',
              source: this.source,
              subject: `${change.schema}.${change.table}`,
              data: { ...change, at },
            }),
          ),
        )
        span.setAttribute('messaging.batch.message_count', events.length)
        await this.publishWithRetry(events)
        for (const listener of this.listeners) listener(events)
        const lsn = batch.at(-1)!.commitEndLsn
        span.setAttribute('strata.cdc.lsn', lsn)
        this.progress.transactions += batch.length
        this.progress.events += events.length
        this.progress.confirmedLsn = lsn
        await this.service.acknowledge(lsn)
      } catch (error) {
        span.recordException(error instanceof Error ? error : new Error(String(error)))
        span.setStatus({ code: SpanStatusCode.ERROR })
        throw error
      } finally {
        span.end()
      }
    })
  }

  private async publishWithRetry(events: readonly EventEnvelope<TableChangeEvent>[]): Promise<void> {
    if (events.length === 0) return
    for (let attempt = 1; ; attempt++) {
      try {
        await publishEvents(this.options.transport, this.topic, events)
        return
      } catch (error) {
        // Never skip: the slot is not confirmed, so giving up here would only mean replaying later. Keep trying.
        this.log('warn', 'publishing table changes failed; retrying', { attempt, err: error instanceof Error ? error.message : String(error) })
        await sleep(Math.min(100 * 2 ** attempt, this.maxBackoffMs))
      }
    }
  }

  private log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void {
    this.options.log?.(level, message, fields)
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
