import { TOPICS, createEvent, publishEvents, type AuditEvent, type Transport } from '@strata/bus'
import type { AuditLog } from './audit-log.js'
import type { AuditEntry, AuditRecord } from './audit-record.js'

export interface AuditTrailOptions {
  /** Where `strata.audit.v1` events go; none: the store only. */
  transport?: Transport | undefined
  /** Default `strata.audit.v1`. */
  topic?: string
  /** CloudEvents source, e.g. `strata/gateway/<instance>`. */
  source: string
  /** Called when a bus publish fails (the row is in the store; the event is lost). */
  onPublishError?: (error: unknown) => void
  /**
   * Called when an append fails (`queued`: the entry waits in the retry buffer) and when the buffer is full
   * (`dropped`: the oldest waiting entry is given up). Services raise an error event and a metric from it.
   */
  onAppendError?: (error: unknown, outcome: 'queued' | 'dropped', entry: AuditEntry) => void
  /** Entries kept for retry while the store fails. Default 1000. */
  retryBuffer?: number
  /** First retry delay, ms, doubled up to 30 s. Default 500. */
  retryDelayMs?: number
}

/**
 * Records an action in the hash-chained store (the source of truth, awaited) and then publishes it on
 * `strata.audit.v1` for consumers that watch in real time (alerting's audit source). The publish is not awaited by the
 * caller's request: the bus being down must not stop writes, and the chain already holds the row.
 *
 * `submit` is for records a request must not wait for (sign-in failures, denials): an append that fails goes to a
 * bounded buffer retried with backoff, and each failure is reported, so an entry is never dropped without a word.
 */
export class AuditTrail {
  private readonly waiting: AuditEntry[] = []
  private retryTimer: NodeJS.Timeout | undefined
  private delayMs: number
  private droppedCount = 0

  constructor(
    readonly log: AuditLog,
    private readonly options: AuditTrailOptions,
  ) {
    this.delayMs = options.retryDelayMs ?? 500
  }

  /** Entries waiting for a retry, and how many were given up since start. */
  get backlog(): { waiting: number; dropped: number } {
    return { waiting: this.waiting.length, dropped: this.droppedCount }
  }

  async record(entry: AuditEntry): Promise<AuditRecord> {
    const record = await this.log.append(storable(entry))
    this.publish(record)
    return record
  }

  /** Appends without making the caller wait or fail: a failed append is buffered and retried. */
  submit(entry: AuditEntry): void {
    if (this.waiting.length > 0) return this.enqueue(entry, undefined)
    this.record(entry).catch((error: unknown) => this.enqueue(entry, error))
  }

  /** Stops retrying (at shutdown); entries still waiting are reported as dropped. */
  close(): void {
    clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    for (const entry of this.waiting.splice(0)) this.drop(new Error('audit trail closed with entries waiting'), entry)
  }

  private enqueue(entry: AuditEntry, error: unknown): void {
    if (this.waiting.length >= (this.options.retryBuffer ?? 1000)) this.drop(error ?? new Error('audit retry buffer full'), this.waiting.shift()!)
    this.waiting.push(entry)
    if (error !== undefined) this.options.onAppendError?.(error, 'queued', entry)
    this.scheduleRetry()
  }

  private drop(error: unknown, entry: AuditEntry): void {
    this.droppedCount += 1
    this.options.onAppendError?.(error, 'dropped', entry)
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined) return
    this.retryTimer = setTimeout(() => void this.retry(), this.delayMs)
    this.retryTimer.unref()
  }

  private async retry(): Promise<void> {
    // In order, one at a time, so the chain keeps the order the entries happened in.
    while (this.waiting.length > 0) {
      const entry = this.waiting[0]!
      try {
        await this.record(entry)
      } catch (error) {
        this.options.onAppendError?.(error, 'queued', entry)
        this.delayMs = Math.min(this.delayMs * 2, 30_000)
        this.retryTimer = undefined
        return this.scheduleRetry()
      }
      this.waiting.shift()
    }
    this.delayMs = this.options.retryDelayMs ?? 500
    this.retryTimer = undefined
  }

  private publish(record: AuditRecord): void {
    const transport = this.options.transport
    if (transport === undefined) return
    const event = createEvent<AuditEvent>({
      type: 'strata.audit.v1',
      source: this.options.source,
      subject: record.resource.slice(0, 1024),
      id: `audit-${record.hash.slice(0, 32)}`,
      time: new Date(record.at),
      data: {
        actor: record.actor,
        action: record.action,
        resource: record.resource,
        outcome: record.outcome,
        detail: { ...record.detail, seq: record.seq, hash: record.hash, ...(record.ip === undefined ? {} : { ip: record.ip }) },
        at: record.at,
      },
    })
    publishEvents(transport, this.options.topic ?? TOPICS.audit, [event]).catch((error: unknown) => this.options.onPublishError?.(error))
  }
}

/**
 * An entry every store can hold: PostgreSQL text and jsonb refuse U+0000, so a NUL that got this far (the HTTP edge
 * refuses it first) is replaced rather than making the append fail and the action go unrecorded.
 */
function storable(entry: AuditEntry): AuditEntry {
  const text = JSON.stringify(entry)
  if (!text.includes('\\u0000')) return entry
  return JSON.parse(text.replaceAll('\\u0000', '\\ufffd')) as AuditEntry
}
