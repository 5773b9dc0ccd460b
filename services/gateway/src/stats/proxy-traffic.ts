import type { ProxyUpstreamStats } from '@strata/api'
import type { CacheOutcome } from '../proxy/proxy-cache.js'

/** X-Cache outcomes of the proxy (proxy-routes.ts) and the counter each one adds to; an answer without one failed. */
const COUNTER_OF: Record<CacheOutcome, keyof Omit<ProxyUpstreamStats, 'upstream' | 'requests' | 'hitRatio'>> = {
  HIT: 'hits',
  MISS: 'misses',
  STALE: 'stale',
  REVALIDATED: 'revalidated',
  BYPASS: 'bypass',
}

/**
 * The proxy's answers per upstream since the gateway started, for GET /v1/stats (the console's proxy panel); the
 * same outcomes /metrics counts in strata_proxy_responses_total, but by upstream.
 */
export class ProxyTraffic {
  private readonly byUpstream = new Map<string, ProxyUpstreamStats>()

  /** One proxy answer; `outcome` is its X-Cache header (undefined when the request failed before the proxy answered). */
  record(upstream: string, outcome: string | undefined): void {
    const stats = this.statsOf(upstream)
    stats.requests++
    stats[outcome !== undefined && Object.hasOwn(COUNTER_OF, outcome) ? COUNTER_OF[outcome as CacheOutcome] : 'errors']++
  }

  /** Every configured upstream, in name order, with zeros for those that have not been asked yet. */
  snapshot(upstreams: readonly string[]): ProxyUpstreamStats[] {
    return [...upstreams].sort().map((upstream) => {
      const stats = { ...this.statsOf(upstream) }
      const lookups = stats.hits + stats.revalidated + stats.stale + stats.misses
      // A revalidated answer is served from the cache after a 304: a hit, as Cache-Status counts it.
      return { ...stats, hitRatio: lookups === 0 ? 0 : (stats.hits + stats.revalidated) / lookups }
    })
  }

  private statsOf(upstream: string): ProxyUpstreamStats {
    let stats = this.byUpstream.get(upstream)
    if (stats === undefined) this.byUpstream.set(upstream, (stats = { upstream, requests: 0, hits: 0, misses: 0, stale: 0, revalidated: 0, bypass: 0, errors: 0, hitRatio: 0 }))
    return stats
  }
}
