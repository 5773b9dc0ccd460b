import type { ResourceProbe } from './resource-probe.js'

/**
 * Another Strata service's process metrics, read from its Prometheus /metrics (prom-client's default metrics, under
 * any prefix): CPU seconds, resident memory, heap, event-loop lag. Services talk over HTTP, never by import.
 */
export class ServiceMetricsProbe implements ResourceProbe {
  readonly kind = 'service' as const
  constructor(
    readonly name: string,
    private readonly url: string,
    private readonly timeoutMs = 2_000,
    /** An API key with `read` on `*`, for services whose /metrics is behind auth (all of Strata's by default). */
    private readonly apiKey?: string,
  ) {}

  async sample(): Promise<Record<string, number>> {
    const headers: Record<string, string> = this.apiKey === undefined ? {} : { authorization: `Bearer ${this.apiKey}` }
    const response = await fetch(this.url, { headers, signal: AbortSignal.timeout(this.timeoutMs) })
    if (!response.ok) throw new Error(`${this.url} answered ${response.status}`)
    return parseProcessMetrics(await response.text())
  }
}

const WANTED: Record<string, string> = {
  process_cpu_seconds_total: 'cpu_seconds_total',
  process_resident_memory_bytes: 'rss_bytes',
  nodejs_heap_size_used_bytes: 'heap_used_bytes',
  nodejs_eventloop_lag_p50_seconds: 'event_loop_delay_p50_seconds',
  nodejs_eventloop_lag_p99_seconds: 'event_loop_delay_p99_seconds',
}

export function parseProcessMetrics(text: string): Record<string, number> {
  const values: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*?)(?:\{[^}]*\})? ([0-9.eE+-]+)$/.exec(line)
    if (match === null) continue
    const suffix = Object.keys(WANTED).find((name) => match[1] === name || match[1]!.endsWith(`_${name}`))
    if (suffix !== undefined) values[WANTED[suffix]!] = Number(match[2])
  }
  return values
}
