import type { Registry } from 'prom-client'

/** One label set's observations: counts per bucket (not cumulative), their sum and how many. */
class Series {
  readonly counts: Float64Array
  sum = 0
  count = 0

  constructor(
    readonly labels: Readonly<Record<string, string | number>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length)
  }

  observe(value: number): void {
    this.sum += value
    this.count++
    const bounds = this.bounds
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]!++
        return
      }
    }
  }
}

/**
 * `strata_http_request_duration_seconds` by method, route and status, as a Prometheus histogram in the shell's
 * registry. prom-client's Histogram validates and hashes the label set on every observe, even through a child; here
 * each route holds its series per method and status and an observe is a few array writes. Same exposition as
 * prom-client's (cumulative `_bucket` with `le`, `_sum`, `_count`).
 */
export class RouteDurations {
  readonly name = 'strata_http_request_duration_seconds'
  readonly help = 'HTTP request duration by route, method and status code'
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  private readonly series: Series[] = []

  constructor(
    registry: Registry,
    private readonly bounds: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  ) {
    registry.registerMetric(this as never)
  }

  /** The recorder of one route: `observe(method, status, seconds)`, its series created on first use. */
  route(route: string): (method: string, status: number, seconds: number) => void {
    const byKey = new Map<number, Series>()
    const methods = new Map<string, number>()
    return (method, status, seconds) => {
      let m = methods.get(method)
      if (m === undefined) methods.set(method, (m = methods.size))
      const key = m * 1000 + status
      let series = byKey.get(key)
      if (series === undefined) {
        series = new Series({ method, route, status_code: status }, this.bounds)
        byKey.set(key, series)
        this.series.push(series)
      }
      series.observe(seconds)
    }
  }

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> }> {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = []
    for (const series of this.series) {
      let cumulative = 0
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += series.counts[i]!
        values.push({ labels: { ...series.labels, le: this.bounds[i]! }, value: cumulative, metricName: `${this.name}_bucket` })
      }
      values.push({ labels: { ...series.labels, le: '+Inf' }, value: series.count, metricName: `${this.name}_bucket` })
      values.push({ labels: series.labels, value: series.sum, metricName: `${this.name}_sum` })
      values.push({ labels: series.labels, value: series.count, metricName: `${this.name}_count` })
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values })
  }

  reset(): void {
    this.series.length = 0
  }
}
