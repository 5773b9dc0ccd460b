import type { NamespaceStats, StatsSnapshot } from '@strata/api'
import type { NamespaceCache, StrataCache } from '@strata/core'
import { LatencyWindow } from './latency-window.js'
import { ProxyTraffic } from './proxy-traffic.js'

/** What the gateway itself counts per namespace, beside the engine's counters: its KV answers and their latency. */
class NamespaceTraffic {
  requests = 0
  serverErrors = 0
  readonly latency = new LatencyWindow()
}

/**
 * The live snapshot behind `GET /v1/stats`: cumulative counters since start (the console polls and derives rates)
 * and KV request latency percentiles over the last 60 seconds. Per gateway instance, like /metrics.
 */
export class GatewayStats {
  private readonly traffic = new Map<string, NamespaceTraffic>()
  /** The proxy's answers per upstream (proxy-routes.ts records them). */
  readonly proxy = new ProxyTraffic()
  readonly startedAt: number

  /**
   * `tracks` says whether a namespace is worth a table entry (it exists); asked only the first time a name is seen,
   * so the per-request cost is one Map lookup.
   */
  constructor(
    private readonly tracks: (namespace: string) => boolean = () => true,
    private readonly clock: () => number = Date.now,
  ) {
    this.startedAt = clock()
  }

  /** One KV answer for `namespace` (called once per request, from the KV routes' onResponse hook). */
  record(namespace: string, ms: number, status: number): void {
    let traffic = this.traffic.get(namespace)
    if (traffic === undefined) {
      if (!this.tracks(namespace)) return
      this.traffic.set(namespace, (traffic = new NamespaceTraffic()))
    }
    traffic.requests++
    if (status >= 500) traffic.serverErrors++
    traffic.latency.record(ms, this.clock())
  }

  snapshot(cache: StrataCache, namespaces: readonly Pick<NamespaceCache<unknown>, 'name' | 'stats'>[], upstreams: readonly string[] = []): StatsSnapshot {
    const now = this.clock()
    const l1Entries = cache.l1EntriesByNamespace()
    const views = namespaces.map((namespace): NamespaceStats => {
      const name = namespace.name
      const s = namespace.stats()
      const traffic = this.traffic.get(name)
      return {
        name,
        requests: traffic?.requests ?? 0,
        hits: s.hits,
        l1Hits: s.l1Hits,
        l2Hits: s.l2Hits,
        misses: s.misses,
        coalesced: s.coalesced,
        staleHits: s.staleHits,
        sets: s.sets,
        deletes: s.deletes,
        errors: s.errors + (traffic?.serverErrors ?? 0),
        hitRatio: s.hitRatio,
        l1Entries: l1Entries.get(name) ?? 0,
        latencyMs: traffic === undefined ? { p50: 0, p95: 0, p99: 0 } : traffic.latency.percentiles(now),
      }
    })
    const sum = (field: 'requests' | 'hits' | 'l1Hits' | 'l2Hits' | 'misses' | 'coalesced' | 'staleHits' | 'errors') => views.reduce((total, view) => total + view[field], 0)
    const hits = sum('hits')
    const lookups = hits + sum('coalesced') + sum('misses')
    const windows = namespaces.flatMap(({ name }) => {
      const traffic = this.traffic.get(name)
      return traffic === undefined ? [] : [traffic.latency]
    })
    return {
      at: now,
      uptimeMs: now - this.startedAt,
      totals: {
        requests: sum('requests'),
        hits,
        l1Hits: sum('l1Hits'),
        l2Hits: sum('l2Hits'),
        misses: sum('misses'),
        coalesced: sum('coalesced'),
        staleHits: sum('staleHits'),
        errors: sum('errors'),
        hitRatio: lookups === 0 ? 0 : (hits + sum('coalesced')) / lookups,
        latencyMs: LatencyWindow.combined(windows, now),
      },
      namespaces: views,
      proxy: this.proxy.snapshot(upstreams),
    }
  }
}
