import type { NamespaceReport, Recommendation } from '@strata/api'

export type { Recommendation } from '@strata/api'

/** Thresholds of the rules; the defaults are a starting point, not a law. */
export interface RecommendationThresholds {
  /** A key is hot above this share of the namespace's sampled reads. Default 0.1. */
  hotKeyShare: number
  /** Hot keys are "off L1" while L1 answers less than this share of reads. Default 0.5. */
  l1ShareBelow: number
  /** Growing L1 is worth it from this many hit-ratio points per doubling. Default 0.05. */
  growL1Gain: number
  /** Low hit ratio below this. Default 0.5. */
  hitRatioBelow: number
  /** Stale reads above this share. Default 0.2. */
  staleRatioAbove: number
  /** Rules on ratios wait for this many reads in the window. Default 100. */
  minReads: number
}

export const DEFAULT_THRESHOLDS: RecommendationThresholds = { hotKeyShare: 0.1, l1ShareBelow: 0.5, growL1Gain: 0.05, hitRatioBelow: 0.5, staleRatioAbove: 0.2, minReads: 100 }

const pct = (ratio: number): string => `${Math.round(ratio * 100)}%`

/** The optimization report of one namespace: every rule that fires, most actionable first. */
export function recommend(ns: Omit<NamespaceReport, 'recommendations'>, hotKeyTotal: number, thresholds: RecommendationThresholds = DEFAULT_THRESHOLDS): Recommendation[] {
  const out: Recommendation[] = []
  const reads = ns.tiers.filter((tier) => ['l1', 'l2', 'origin', 'none'].includes(tier.tier)).reduce((sum, tier) => sum + tier.requests, 0)
  const share = (tier: string): number => ns.tiers.find((t) => t.tier === tier)?.share ?? 0

  // The hot-key sketch counts reads since the service started; a key's lower bound (count - error) keeps the claim safe.
  const hot = hotKeyTotal > 0 ? ns.hotKeys.filter((key) => (key.count - key.error) / hotKeyTotal >= thresholds.hotKeyShare) : []
  if (hot.length > 0 && share('l1') < thresholds.l1ShareBelow) {
    const names = hot.map((key) => `'${key.key}' (${pct((key.count - key.error) / hotKeyTotal)} of reads)`).join(', ')
    out.push({
      kind: 'hot-keys-off-l1',
      severity: 'warning',
      finding: `${hot.length === 1 ? 'One key takes' : `${hot.length} keys take`} a large share of the reads — ${names} — but L1 answered ${pct(share('l1'))} of reads: each read of ${hot.length === 1 ? 'it' : 'them'} goes to L2${share('origin') > 0 ? ' or the origin' : ''}, one server's worth of load.`,
      action: `Keep a copy in each instance's L1: raise the namespace's l1Ttl (PUT /v1/admin/namespaces/${ns.namespace}). Invalidations still reach every L1 through the bus; l1Ttl only bounds how long an instance trusts its copy without asking L2.`,
      keys: hot.map((key) => key.key),
    })
  }

  const relative = ns.mrc?.relative
  const current = relative?.find((point) => point.multiple === 1)
  const doubled = relative?.find((point) => point.multiple === 2)
  if (current !== undefined && doubled !== undefined && doubled.hitRatio - current.hitRatio >= thresholds.growL1Gain) {
    const best = relative!.filter((point) => point.multiple > 1).reduce((a, b) => (b.hitRatio - a.hitRatio >= thresholds.growL1Gain ? b : a), doubled)
    out.push({
      kind: 'grow-l1',
      severity: 'info',
      finding: `The miss-ratio curve says an L1 of ${best.size} entries (${best.multiple}× today's ${ns.mrc!.l1MaxEntries}) would hit ${pct(best.hitRatio)} of this namespace's reads instead of ${pct(current.hitRatio)}.`,
      action: `Raise the gateway's l1MaxEntries (STRATA_GATEWAY_L1_ENTRIES) toward ${best.size}, memory allowing: about ${best.size - current.size} more entries of this namespace's average size.`,
    })
  }

  const stampedes = ns.stampedeKeys.filter((key) => key.count - key.error >= 3)
  if (stampedes.length > 0) {
    out.push({
      kind: 'stampede',
      severity: 'warning',
      finding: `${stampedes.length === 1 ? 'A key misses' : `${stampedes.length} keys miss`} again and again within moments — ${stampedes.map((key) => `'${key.key}'`).join(', ')}: each burst of misses goes past the cache.`,
      action:
        'For a key that expires while in demand, give the namespace a grace period (grace) so a stale value answers while one caller refreshes, or refresh ahead of expiry (refreshAhead, a fraction of the TTL). For a key the origin does not have, cache the answer "not found" for a short ttl (a null value) so the misses stop at the cache.',
      keys: stampedes.map((key) => key.key),
    })
  }

  if (reads >= thresholds.minReads && ns.hitRatio !== null && ns.hitRatio < thresholds.hitRatioBelow) {
    out.push({
      kind: 'low-hit-ratio',
      severity: 'warning',
      finding: `Hit ratio ${pct(ns.hitRatio)} over ${Math.round(reads)} reads: ${pct(share('origin') + share('none'))} of reads reached the origin or found nothing.`,
      action: 'Raise ttl where the data allows, check the invalidations this namespace receives (too broad a tag or prefix empties it), and key shared data without per-user parts.',
    })
  }

  if (reads >= thresholds.minReads && ns.staleRatio !== null && ns.staleRatio > thresholds.staleRatioAbove) {
    out.push({
      kind: 'stale-reads',
      severity: 'info',
      finding: `${pct(ns.staleRatio)} of reads were answered stale (within grace, while a refresh ran).`,
      action: 'Refresh ahead of expiry (refreshAhead) so entries are renewed before they go stale, or raise ttl.',
    })
  }
  return out
}
