/** Counters one namespace keeps; read by metrics (Prometheus) and analytics. Plain fields: the hot path adds to them. */
export class NamespaceStats {
  l1Hits = 0
  l2Hits = 0
  misses = 0
  /** Reads that joined a load already under way (single-flight): neither a tier hit nor a load of their own. */
  coalesced = 0
  staleHits = 0
  sets = 0
  deletes = 0
  loads = 0
  loadErrors = 0
  loadTimeouts = 0
  refreshes = 0
  failSafes = 0
  leaseWaits = 0
  l1Evictions = 0
  l1Expirations = 0
  errors = 0

  snapshot(): StatsSnapshot {
    const hits = this.l1Hits + this.l2Hits
    // A coalesced read is served without a load of its own: it counts as a hit in the ratio, as bentocache and
    // FusionCache count a shared load (100 concurrent reads of a cold key are 1 miss and 99 coalesced, not 100 misses).
    const lookups = hits + this.coalesced + this.misses
    return {
      l1Hits: this.l1Hits,
      l2Hits: this.l2Hits,
      hits,
      misses: this.misses,
      staleHits: this.staleHits,
      coalesced: this.coalesced,
      hitRatio: lookups === 0 ? 0 : (hits + this.coalesced) / lookups,
      sets: this.sets,
      deletes: this.deletes,
      loads: this.loads,
      loadErrors: this.loadErrors,
      loadTimeouts: this.loadTimeouts,
      refreshes: this.refreshes,
      failSafes: this.failSafes,
      leaseWaits: this.leaseWaits,
      l1Evictions: this.l1Evictions,
      l1Expirations: this.l1Expirations,
      errors: this.errors,
    }
  }
}

export interface StatsSnapshot {
  l1Hits: number
  l2Hits: number
  hits: number
  misses: number
  coalesced: number
  staleHits: number
  hitRatio: number
  sets: number
  deletes: number
  loads: number
  loadErrors: number
  loadTimeouts: number
  refreshes: number
  failSafes: number
  leaseWaits: number
  l1Evictions: number
  l1Expirations: number
  errors: number
}
