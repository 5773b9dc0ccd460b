/**
 * A response as the proxy keeps it in the engine (msgpack codec, so the body stays bytes). Times are epoch ms.
 * `correctedInitialAge` is RFC 9111 §4.2.3's corrected_initial_age in seconds, computed once when stored.
 */
export interface StoredResponse {
  kind: 'response'
  status: number
  /** Lowercased names; hop-by-hop fields removed. */
  headers: Record<string, string | string[]>
  body: Uint8Array
  requestTime: number
  responseTime: number
  correctedInitialAge: number
  /** Request header values this variant was selected by (lowercased names), when the response has Vary. */
  varyValues?: Record<string, string>
  /** Whether the request that produced it carried Authorization (§3.5 decides later reuse). */
  authorized: boolean
  /** Epoch ms: a soft purge ended its freshness then (the first read that found the purge's stale mark). */
  softPurgedAt?: number
}

/** Stored at the primary key when the response varies: which request headers select the variant (§4.1). */
export interface VaryRecord {
  kind: 'vary'
  headers: string[]
}

export type StoredValue = StoredResponse | VaryRecord

export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}
