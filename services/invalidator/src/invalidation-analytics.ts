import * as hdr from 'hdr-histogram-js'
import { Counter, Gauge, Registry } from 'prom-client'
import { proxyNamespace, type InvalidationRecord } from '@strata/invalidation'

export type EventOutcome = 'applied' | 'duplicate' | 'ignored'

/**
 * Invalidation analytics: counters per trigger and namespace, entries removed, event outcomes, and the latency from
 * the cause (the domain event's time) to the invalidation being published, as an HdrHistogram whose quantiles are
 * exposed in Prometheus text format on /metrics.
 */
export class InvalidationAnalytics {
  readonly registry = new Registry()
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 })
  private readonly invalidations = new Counter({
    name: 'strata_invalidations_total',
    help: 'Invalidations carried out, by trigger and namespace',
    labelNames: ['trigger', 'namespace'] as const,
    registers: [this.registry],
  })
  private readonly removed = new Counter({
    name: 'strata_invalidation_entries_removed_total',
    help: 'L2 entries removed by key and prefix invalidations, counted as the dry run counts them (tags and whole namespaces are not counted)',
    labelNames: ['namespace'] as const,
    registers: [this.registry],
  })
  private readonly events = new Counter({
    name: 'strata_invalidation_events_total',
    help: 'Domain events received, by outcome (applied, duplicate, ignored: no rule matched)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  })

  constructor() {
    const histogram = this.histogram
    new Gauge({
      name: 'strata_invalidation_latency_seconds',
      help: 'From the domain event (or request) time to the invalidation published, HdrHistogram quantiles',
      labelNames: ['quantile'] as const,
      registers: [this.registry],
      collect() {
        for (const quantile of [0.5, 0.9, 0.99, 0.999, 1]) {
          this.set({ quantile: String(quantile) }, histogram.totalCount === 0 ? 0 : histogram.getValueAtPercentile(quantile * 100) / 1e6)
        }
      },
    })
    new Gauge({
      name: 'strata_invalidation_latency_seconds_count',
      help: 'Invalidations measured in the latency histogram',
      registers: [this.registry],
      collect() {
        this.set(histogram.totalCount)
      },
    })
  }

  record(record: InvalidationRecord): void {
    // An upstream's surrogate-key purge is counted under the proxy namespace its responses live in.
    const namespace = record.namespace ?? (record.upstream === undefined ? '*' : proxyNamespace(record.upstream))
    this.invalidations.inc({ trigger: record.trigger, namespace })
    if (record.entriesRemoved !== null) this.removed.inc({ namespace }, record.entriesRemoved)
    this.histogram.recordValue(Math.max(1, Math.round(record.latencyMs * 1000)))
  }

  event(outcome: EventOutcome): void {
    this.events.inc({ outcome })
  }

  /** Latency quantiles in ms, for reports and tests. */
  latency(): { count: number; p50: number; p99: number; max: number } {
    const h = this.histogram
    return { count: h.totalCount, p50: h.getValueAtPercentile(50) / 1000, p99: h.getValueAtPercentile(99) / 1000, max: h.maxValue / 1000 }
  }

  async metrics(): Promise<string> {
    return this.registry.metrics()
  }

  close(): void {
    this.histogram.destroy()
  }
}
