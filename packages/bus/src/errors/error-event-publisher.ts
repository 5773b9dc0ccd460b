import { createEvent } from '../envelope/event-envelope.js'
import { publishEvents } from '../envelope/event-codec.js'
import type { ErrorEvent } from '../events/strata-events.js'
import { TOPICS } from '../topics.js'
import type { Transport } from '../transport/transport.js'

/** One error a service hit: what `strata.error.v1` carries (never a cached value). */
export interface ErrorReport {
  /** A stable `E_...` code (packages/core/src/errors/codes.ts). */
  code: string
  message: string
  namespace?: string
  /** What the service was doing: `flush`, `invalidate`, `warm`, `capture`... */
  operation?: string
  /** The envelope's subject: the key, job or target the error is about. */
  subject?: string
  /** The trace of the work that failed, when it is not the active one (a queued job's). */
  traceparent?: string
  /** The work went to a dead-letter topic or queue (alerting's default `dead-letters` rule fires on these). */
  deadLetter?: boolean
}

export interface ErrorEventPublisherOptions {
  /** Names the service in every event (`data.service`) and, with the instance, its `source`. */
  service: string
  /** The envelope's source. Default `strata/<service>`. */
  source?: string
  /** Default `strata.errors.v1`. */
  topic?: string
  /** Reports held while a publish is in flight; beyond this they are dropped and counted. Default 1 000. */
  maxBuffered?: number
  /** A batch could not be published (it is dropped: the service's logs still have each error). */
  onPublishError?: (error: unknown, dropped: number) => void
  clock?: () => number
}

/**
 * Publishes a service's errors as `strata.error.v1` events on `strata.errors.v1`, where analytics counts them and
 * alerting's error rules see them. `report` never throws and never waits: reports are buffered and published one
 * batch at a time, keyed by namespace (or service) so one namespace's errors stay in order; while the bus is down the
 * buffer fills to `maxBuffered` and further reports are dropped and counted rather than holding the failing work.
 */
export class ErrorEventPublisher {
  private buffer: ErrorReport[] = []
  private inFlight: Promise<void> | undefined
  private closed = false
  private readonly topic: string
  private readonly source: string
  private readonly clock: () => number
  readonly stats = { published: 0, dropped: 0 }

  constructor(private readonly transport: Transport, private readonly options: ErrorEventPublisherOptions) {
    this.topic = options.topic ?? TOPICS.errors
    this.source = options.source ?? `strata/${options.service}`
    this.clock = options.clock ?? Date.now
  }

  report(report: ErrorReport): void {
    if (this.closed || this.buffer.length >= (this.options.maxBuffered ?? 1_000)) {
      this.stats.dropped++
      return
    }
    this.buffer.push(report)
    this.startPublishing()
  }

  /** Resolves once everything reported so far was published (or dropped). */
  async flush(): Promise<void> {
    while (this.inFlight !== undefined) await this.inFlight
  }

  /** Publishes what is buffered, then refuses further reports (counted as dropped). */
  async close(): Promise<void> {
    await this.flush()
    this.closed = true
  }

  private startPublishing(): void {
    if (this.inFlight !== undefined) return
    this.inFlight = this.publishAll().finally(() => {
      this.inFlight = undefined
    })
  }

  private async publishAll(): Promise<void> {
    // Let a burst of reports from one failing batch gather into one publish.
    await new Promise<void>((resolve) => setImmediate(resolve))
    while (this.buffer.length > 0) {
      const reports = this.buffer.splice(0, this.buffer.length)
      const at = this.clock()
      const events = reports.map((report) =>
        createEvent<ErrorEvent>({
          type: 'strata.error.v1',
          source: this.source,
          ...(report.subject === undefined ? {} : { subject: report.subject }),
          ...(report.traceparent === undefined ? {} : { traceparent: report.traceparent }),
          data: {
            service: this.options.service,
            code: report.code,
            message: report.message,
            ...(report.namespace === undefined ? {} : { namespace: report.namespace }),
            ...(report.operation === undefined ? {} : { operation: report.operation }),
            ...(report.deadLetter === true ? { deadLetter: true } : {}),
            at,
          },
        }),
      )
      try {
        await publishEvents(this.transport, this.topic, events, (event) => (event.data as ErrorEvent).namespace ?? this.options.service)
        this.stats.published += events.length
      } catch (error) {
        this.stats.dropped += events.length
        this.options.onPublishError?.(error, events.length)
      }
    }
  }
}
