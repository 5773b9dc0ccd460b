/** Latency percentiles in milliseconds, over the last 60 seconds. */
export interface Latency {
  p50: number
  p95: number
  p99: number
}

/** One namespace in GET /v1/stats: the engine's counters and the gateway's own KV traffic. */
export interface NamespaceStats {
  name: string
  requests: number
  hits: number
  l1Hits: number
  l2Hits: number
  misses: number
  /** Reads that joined a load already under way (single-flight): hits for the ratio. */
  coalesced: number
  staleHits: number
  sets: number
  deletes: number
  errors: number
  hitRatio: number
  l1Entries: number
  latencyMs: Latency
}

/** One proxy upstream in GET /v1/stats: its answers since the gateway started, by X-Cache outcome. */
export interface ProxyUpstreamStats {
  upstream: string
  requests: number
  hits: number
  misses: number
  /** Stale responses served (stale-while-revalidate, stale-if-error). */
  stale: number
  /** Stored responses served after the origin answered 304. */
  revalidated: number
  /** Requests passed to the origin without the cache (uncacheable methods or responses, no-store, purges). */
  bypass: number
  /** Requests that failed before the proxy answered (origin down, refused). */
  errors: number
  /** (hits + revalidated) / (hits + revalidated + stale + misses); 0 before any lookup. */
  hitRatio: number
}

/**
 * GET /v1/stats: cumulative counters since the gateway started (the console polls and derives rates) and KV latency
 * percentiles over the last 60 seconds, per gateway instance.
 */
export interface StatsSnapshot {
  at: number
  uptimeMs: number
  totals: Omit<NamespaceStats, 'name' | 'sets' | 'deletes' | 'l1Entries'>
  namespaces: NamespaceStats[]
  /** The caching proxy's upstreams (empty when none is configured). */
  proxy: ProxyUpstreamStats[]
}
