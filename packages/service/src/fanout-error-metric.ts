import { Counter, type Registry } from 'prom-client'

/** What the metric reads: @strata/bus's FanoutErrorReport (its failures counted per stage). */
export interface FanoutErrorCounts {
  readonly fanout: string
  readonly counts: Readonly<Record<string, number>>
}

/**
 * strata_fast_invalidation_errors_total{fanout,stage}: fast invalidation copies not sent (`publish`) and messages
 * received that were no valid invalidation (`receive`), read from the report at scrape time. The gateway and the
 * invalidator, the two publishers of the fast path, expose it the same way.
 */
export function fanoutErrorMetric(registry: Registry, report: FanoutErrorCounts): void {
  new Counter({
    name: 'strata_fast_invalidation_errors_total',
    help: 'Fast invalidation fanout failures (publish: a copy not sent, the bus still carries it; receive: a message that is no valid invalidation)',
    labelNames: ['fanout', 'stage'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [stage, count] of Object.entries(report.counts)) this.inc({ fanout: report.fanout, stage }, count)
    },
  })
}
