import type { NamespaceSpec } from './namespace-spec.js'

/** A namespace's counters since the gateway started, as GET /v1/admin/namespaces answers them. */
export interface NamespaceStatsView {
  hits: number
  misses: number
  /** Reads that joined a load already under way (single-flight): hits for the ratio. */
  coalesced: number
  l1Hits: number
  l2Hits: number
  staleHits: number
  hitRatio: number
  sets: number
  deletes: number
  loads: number
  loadErrors: number
}

export interface NamespaceView {
  name: string
  policy: NamespaceSpec
  stats: NamespaceStatsView
}

/** GET /health/ready: each named check up or down. */
export interface Readiness {
  status: 'ready' | 'unready'
  checks: Record<string, { status: 'up' | 'down'; detail?: string }>
}

/** What a write answers (PUT /v1/namespaces/{ns}/keys/{key}). */
export interface WriteResult {
  namespace: string
  key: string
  etag: string
  version: number
  expiresAt: number
}
