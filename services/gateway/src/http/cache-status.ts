/** RFC 9211 §2.2 fwd reasons Strata uses. */
export type ForwardReason = 'uri-miss' | 'vary-miss' | 'miss' | 'request' | 'stale' | 'bypass' | 'method' | 'partial'

/** One cache's entry in a Cache-Status field (RFC 9211 §2). */
export interface CacheStatusEntry {
  /** Served from the store without going forward (a stale one too, with a negative ttl). */
  hit?: boolean
  fwd?: ForwardReason
  /** The status the next hop answered a forwarded request with (304 for a revalidation). */
  fwdStatus?: number
  /** The forwarded answer was stored. */
  stored?: boolean
  /** The request was collapsed into another one for the same target. */
  collapsed?: boolean
  /** Remaining freshness, seconds (negative: stale by that much). */
  ttl?: number | undefined
  /** The cache key, where the operator chose to expose it. */
  key?: string
  /** Free text for what the parameters cannot say (`stale-if-error`, `stale-while-revalidate`, `soft-purged`). */
  detail?: string
}

/** The name this cache gives itself in Cache-Status; a Token. */
export const CACHE_STATUS_NAME = 'Strata'

/** Serialises one entry as an sf-item with parameters (RFC 8941), in RFC 9211's parameter order. */
export function cacheStatus(entry: CacheStatusEntry, name = CACHE_STATUS_NAME): string {
  let text = name
  if (entry.hit === true) text += '; hit'
  if (entry.fwd !== undefined) text += `; fwd=${entry.fwd}`
  if (entry.fwdStatus !== undefined) text += `; fwd-status=${entry.fwdStatus}`
  if (entry.stored === true) text += '; stored'
  if (entry.collapsed === true) text += '; collapsed'
  if (entry.ttl !== undefined && Number.isFinite(entry.ttl)) text += `; ttl=${Math.trunc(entry.ttl)}`
  if (entry.key !== undefined) {
    const key = sfString(entry.key)
    if (key !== undefined) text += `; key=${key}`
  }
  if (entry.detail !== undefined) {
    const detail = sfString(entry.detail)
    if (detail !== undefined) text += `; detail=${detail}`
  }
  return text
}

/** An sf-string, or undefined when the text has characters an sf-string cannot carry (outside printable ASCII). */
function sfString(text: string): string | undefined {
  if (!/^[\x20-\x7e]*$/.test(text)) return undefined
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}
