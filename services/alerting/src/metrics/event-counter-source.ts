import { consumeEvents, type EventEnvelope, type Subscription, type Transport } from '@strata/bus'
import type { MetricSample, MetricSource } from './metric-source.js'

/** What every topic-fed counter takes (errors, audit): where to read and how many series to keep. */
export interface EventCounterOptions {
  /** The topic read; each source has its own default. */
  topic?: string
  /** Consumer group (work sharing between alerting instances of one rule set); each source has its own default. */
  group?: string
  /** Series kept at most; events beyond are counted under the source's overflow labels. Default 1 000. */
  maxSeries?: number
  /** Where a group that never committed starts. Default `latest`: an alerting service that starts does not page for old events. */
  startFrom?: 'latest' | 'earliest'
}

/** How one source turns its events into labelled counts. */
export interface EventCounting {
  name: string
  metric: string
  topic: string
  group: string
  /** The labels an event counts under, or undefined for an event this counter ignores. */
  labelsOf(event: EventEnvelope): Record<string, string> | undefined
  /** The labels of the catch-all series once `maxSeries` distinct ones exist. */
  overflow(labels: Record<string, string>): Record<string, string>
}

interface Series {
  labels: Record<string, string>
  count: number
  /** Shown once at 0 before its count: a series missing from a window's base is not counted by the engine. */
  shown: boolean
}

/**
 * A Kafka topic as a metric source: each event it carries increments a counter series, so rules over events are
 * ordinary rules (`increase`, `rate`, by label) evaluated by the same engine as scraped metrics. Counts live in memory:
 * after a restart they start from zero, which the engine reads as a counter reset. Bounded: a flood of distinct label
 * values cannot grow memory or the evaluation without limit.
 */
export class EventCounterSource implements MetricSource {
  readonly name: string
  private readonly series = new Map<string, Series>()
  private subscription: Subscription | undefined

  constructor(
    private readonly transport: Transport,
    private readonly counting: EventCounting,
    private readonly options: EventCounterOptions = {},
  ) {
    this.name = counting.name
  }

  async start(): Promise<void> {
    const { topic = this.counting.topic, group = this.counting.group, startFrom = 'latest' } = this.options
    this.subscription = await consumeEvents(this.transport, topic, { group, startFrom }, (event) => {
      const labels = this.counting.labelsOf(event)
      if (labels !== undefined) this.count(labels)
      return Promise.resolve()
    })
  }

  collect(): Promise<MetricSample[]> {
    const samples: MetricSample[] = []
    for (const series of this.series.values()) {
      samples.push({ name: this.counting.metric, labels: series.labels, value: series.shown ? series.count : 0 })
      series.shown = true
    }
    return Promise.resolve(samples)
  }

  async close(): Promise<void> {
    await this.subscription?.close()
    this.subscription = undefined
  }

  private count(given: Record<string, string>): void {
    let labels = given
    let key = JSON.stringify(labels)
    if (!this.series.has(key) && this.series.size >= (this.options.maxSeries ?? 1_000)) {
      labels = this.counting.overflow(labels)
      key = JSON.stringify(labels)
    }
    const series = this.series.get(key)
    if (series === undefined) this.series.set(key, { labels, count: 1, shown: false })
    else series.count++
  }
}
