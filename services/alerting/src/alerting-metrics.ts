import { Counter, Gauge, Registry } from 'prom-client'
import type { AlertRecord } from './store/alert-store.js'

/** The service's own Prometheus metrics, in a registry of its own (several instances can share a process in tests). */
export class AlertingMetrics {
  readonly registry = new Registry()
  readonly evaluations = new Counter({ name: 'strata_alerting_evaluations_total', help: 'Evaluations by outcome (ok, failed)', labelNames: ['outcome'], registers: [this.registry] })
  readonly sourceErrors = new Counter({ name: 'strata_alerting_source_errors_total', help: 'Metric sources that could not be read', labelNames: ['source'], registers: [this.registry] })
  readonly deliveries = new Counter({
    name: 'strata_alerting_deliveries_total',
    help: 'Webhook delivery attempts by receiver and outcome (delivered, failed, dead_lettered)',
    labelNames: ['receiver', 'outcome'],
    registers: [this.registry],
  })

  constructor(alerts: () => AlertRecord[]) {
    new Gauge({
      name: 'strata_alerting_alerts',
      help: 'Alerts by state',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const counts = { pending: 0, firing: 0, resolved: 0 }
        for (const alert of alerts()) counts[alert.state]++
        for (const [state, count] of Object.entries(counts)) this.set({ state }, count)
      },
    })
  }
}
