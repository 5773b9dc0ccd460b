import type { MetricSample, MetricSource } from './metric-source.js'
import { parsePrometheusText } from './prometheus-text.js'

export interface PrometheusScrapeOptions {
  /** The `/metrics` URL of a gateway, the write-behind flusher, ... */
  url: string
  /** Added to every sample (e.g. `{ instance: 'gw-1' }`), so rules can tell instances apart. */
  labels?: Record<string, string>
  timeoutMs?: number
  /** An API key or JWT with `read` on `*`: Strata services keep /metrics behind auth. */
  bearer?: string
}

/** The real MetricSource: scrapes a Prometheus text endpoint over HTTP. */
export class PrometheusScrapeSource implements MetricSource {
  readonly name: string

  constructor(private readonly options: PrometheusScrapeOptions) {
    this.name = options.url
  }

  async collect(): Promise<MetricSample[]> {
    const response = await fetch(this.options.url, {
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      ...(this.options.bearer === undefined ? {} : { headers: { authorization: `Bearer ${this.options.bearer}` } }),
    })
    if (!response.ok) throw new Error(`${this.options.url} answered ${response.status}`)
    const samples = parsePrometheusText(await response.text())
    const extra = this.options.labels
    return extra === undefined ? samples : samples.map((sample) => ({ ...sample, labels: { ...sample.labels, ...extra } }))
  }
}
