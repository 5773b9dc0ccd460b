/** One sample of one series, as scraped: `strata_cache_requests_total{namespace="a",result="hit"} 42`. */
export interface MetricSample {
  name: string
  labels: Readonly<Record<string, string>>
  value: number
}

/**
 * The port alerting reads metrics through: one call returns the current value of every series the source exposes.
 * The Prometheus scrape adapter is the real one; an analytics-backed source can be added beside it without touching
 * the rules or the engine. A source that cannot be read throws; its series are then absent for that evaluation.
 */
export interface MetricSource {
  readonly name: string
  collect(): Promise<MetricSample[]>
}
