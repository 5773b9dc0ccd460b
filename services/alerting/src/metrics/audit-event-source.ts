import { consumeEvents, type AuditEvent, type Subscription, type Transport } from '@strata/bus'
import type { MetricSample, MetricSource } from './metric-source.js'
import { topicUse } from '../topic-use.js'

/** The counter audit rules read: one series per service, action and outcome. */
export const AUDIT_EVENTS_METRIC = 'strata_audit_events_total'

export interface AuditEventSourceOptions {
  /** Default `strata.audit.v1`. */
  topic?: string
  /** Consumer group (work sharing between alerting instances of one rule set). Default `strata.alerting.audit`. */
  group?: string
  /** Series kept at most; events beyond are counted under service `other`, action `other`. Default 1 000. */
  maxSeries?: number
  /** Where a group that never committed starts. Default `latest`: an alerting service that starts does not page for old denials. */
  startFrom?: 'latest' | 'earliest'
}

interface Series {
  labels: Record<string, string>
  count: number
  /** Shown once at 0 before its count: a series missing from a window's base is not counted by the engine. */
  shown: boolean
}

/** `strata/gateway/<instance>` → `gateway`: the service, without the instance (which would make a series per pod). */
function serviceOf(source: string): string {
  const [first, second] = source.split('/')
  return (first === 'strata' ? second : first) || 'unknown'
}

/**
 * `strata.audit.v1` as a metric source: every audited action a service publishes (AuditTrail with a bus) increments
 * `strata_audit_events_total{service, action, outcome}`, so security rules are ordinary rules — a burst of denied
 * sign-ins (a leaked or guessed key, a misconfigured client), an admin action at all (template `audit-events`). The
 * chain in PostgreSQL stays the record; this only counts. Counts live in memory: after a restart they start from
 * zero, which the engine reads as a counter reset.
 */
export class AuditEventSource implements MetricSource {
  readonly name = 'audit'
  private readonly series = new Map<string, Series>()
  private subscription: Subscription | undefined

  constructor(
    private readonly transport: Transport,
    private readonly options: AuditEventSourceOptions = {},
  ) {}

  async start(): Promise<void> {
    const { topic = topicUse.consumed.audit, group = 'strata.alerting.audit', startFrom = 'latest' } = this.options
    this.subscription = await consumeEvents(this.transport, topic, { group, startFrom }, (event) => {
      if (event.type === 'strata.audit.v1') this.count(serviceOf(event.source), event.data as AuditEvent)
      return Promise.resolve()
    })
  }

  collect(): Promise<MetricSample[]> {
    const samples: MetricSample[] = []
    for (const series of this.series.values()) {
      samples.push({ name: AUDIT_EVENTS_METRIC, labels: series.labels, value: series.shown ? series.count : 0 })
      series.shown = true
    }
    return Promise.resolve(samples)
  }

  async close(): Promise<void> {
    await this.subscription?.close()
    this.subscription = undefined
  }

  private count(service: string, audit: AuditEvent): void {
    let labels: Record<string, string> = { service, action: audit.action, outcome: audit.outcome }
    let key = JSON.stringify(labels)
    if (!this.series.has(key) && this.series.size >= (this.options.maxSeries ?? 1_000)) {
      // Bounded: a flood of distinct actions cannot grow memory or the evaluation without limit.
      labels = { service: 'other', action: 'other', outcome: audit.outcome }
      key = JSON.stringify(labels)
    }
    const series = this.series.get(key)
    if (series === undefined) this.series.set(key, { labels, count: 1, shown: false })
    else series.count++
  }
}
