import { consumeEvents, type ErrorEvent, type Subscription, type Transport } from '@strata/bus'
import type { MetricSample, MetricSource } from './metric-source.js'
import { topicUse } from '../topic-use.js'

/** The counter error rules read: one series per service, code, operation and whether the work was dead-lettered. */
export const ERROR_EVENTS_METRIC = 'strata_error_events_total'

export interface ErrorEventSourceOptions {
  /** Default `strata.errors.v1`. */
  topic?: string
  /** Consumer group (work sharing between alerting instances of one rule set). Default `strata.alerting.errors`. */
  group?: string
  /** Series kept at most; events beyond are counted under service `other`, code `E_OTHER`. Default 1 000. */
  maxSeries?: number
  /** Where a group that never committed starts. Default `latest`: an alerting service that starts does not page for old errors. */
  startFrom?: 'latest' | 'earliest'
}

interface Series {
  labels: Record<string, string>
  count: number
  /** Shown once at 0 before its count: a series missing from a window's base is not counted by the engine. */
  shown: boolean
}

/**
 * `strata.errors.v1` as a metric source: every error event a service publishes (ErrorEventPublisher) increments
 * `strata_error_events_total{service, code, operation, dead_letter}`, so error rules are ordinary rules (`increase`,
 * `rate`, by code and service) evaluated by the same engine, with the same pending/firing/resolved lifecycle,
 * grouping and signed webhooks as rules over scraped metrics. Counts live in memory: after a restart they start
 * from zero, which the engine reads as a counter reset.
 */
export class ErrorEventSource implements MetricSource {
  readonly name = 'errors'
  private readonly series = new Map<string, Series>()
  private subscription: Subscription | undefined

  constructor(
    private readonly transport: Transport,
    private readonly options: ErrorEventSourceOptions = {},
  ) {}

  async start(): Promise<void> {
    const { topic = topicUse.consumed.errors, group = 'strata.alerting.errors', startFrom = 'latest' } = this.options
    this.subscription = await consumeEvents(this.transport, topic, { group, startFrom }, (event) => {
      if (event.type === 'strata.error.v1') this.count(event.data as ErrorEvent)
      return Promise.resolve()
    })
  }

  collect(): Promise<MetricSample[]> {
    const samples: MetricSample[] = []
    for (const series of this.series.values()) {
      samples.push({ name: ERROR_EVENTS_METRIC, labels: series.labels, value: series.shown ? series.count : 0 })
      series.shown = true
    }
    return Promise.resolve(samples)
  }

  async close(): Promise<void> {
    await this.subscription?.close()
    this.subscription = undefined
  }

  private count(error: ErrorEvent): void {
    let labels: Record<string, string> = {
      service: error.service,
      code: error.code,
      operation: error.operation ?? '',
      dead_letter: error.deadLetter === true ? 'true' : 'false',
    }
    let key = JSON.stringify(labels)
    if (!this.series.has(key) && this.series.size >= (this.options.maxSeries ?? 1_000)) {
      // Bounded: a flood of distinct codes or operations cannot grow memory or the evaluation without limit.
      labels = { service: 'other', code: 'E_OTHER', operation: '', dead_letter: labels.dead_letter! }
      key = JSON.stringify(labels)
    }
    const series = this.series.get(key)
    if (series === undefined) this.series.set(key, { labels, count: 1, shown: false })
    else series.count++
  }
}
