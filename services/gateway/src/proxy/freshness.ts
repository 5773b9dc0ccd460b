import type { CacheControl } from './cache-control.js'
import { parseCacheControl } from './cache-control.js'
import { parseDeltaSeconds, parseHttpDate } from './http-date.js'
import { header, type StoredResponse } from './stored-response.js'
import { responsePolicy } from './targeted-cache-control.js'

/** Status codes a cache may give heuristic freshness (RFC 9110 §15.1, "heuristically cacheable"). */
const HEURISTICALLY_CACHEABLE = new Set([200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501])

/**
 * §5.1: Age is delta-seconds (`7200.0` or `-5` is invalid and ignored, not read as 7200); of a list, which the
 * field should not be, the first member counts.
 */
export function ageOf(headers: Record<string, string | string[] | undefined>): number {
  const value = headers.age
  const first = (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim()
  return parseDeltaSeconds(first) ?? 0
}

/** RFC 9111 §4.2.3: the age a response had when it arrived, corrected for the request's round trip. Seconds. */
export function correctedInitialAge(requestTime: number, responseTime: number, headers: Record<string, string | string[]>): number {
  const date = httpDate(header(headers, 'date'), responseTime)
  const apparentAge = date === undefined ? 0 : Math.max(0, (responseTime - date) / 1000)
  const ageValue = ageOf(headers)
  const responseDelay = (responseTime - requestTime) / 1000
  const correctedAgeValue = ageValue + responseDelay
  return Math.max(apparentAge, correctedAgeValue)
}

/** §4.2.3 current_age in seconds: corrected initial age plus the time the response has been resident here. */
export function currentAge(stored: StoredResponse, now: number): number {
  return stored.correctedInitialAge + Math.max(0, now - stored.responseTime) / 1000
}

/**
 * §4.2.1 freshness lifetime for a shared cache, in seconds: s-maxage, else max-age, else Expires minus Date, else a
 * heuristic (§4.2.2) of `heuristicFraction` of the time since Last-Modified, only for heuristically cacheable status
 * codes (or `public`) and only when nothing explicit is given. An invalid max-age or Expires means already stale.
 */
export function freshnessLifetime(
  stored: Pick<StoredResponse, 'status' | 'headers' | 'responseTime'>,
  heuristicFraction = 0.1,
  targets: readonly string[] = [],
  negativeSeconds = 0,
): number {
  const { cc, targeted } = responsePolicy(stored.headers, targets)
  const sMaxAge = cc.seconds('s-maxage')
  if (sMaxAge !== undefined) return sMaxAge
  const maxAge = cc.seconds('max-age')
  if (maxAge !== undefined) return maxAge
  if (cc.invalid.has('max-age') || cc.invalid.has('s-maxage')) return 0
  // RFC 9213 §2.1: a targeted field replaces Expires too.
  const expiresHeader = targeted ? undefined : header(stored.headers, 'expires')
  if (expiresHeader !== undefined) {
    // §5.3: an invalid Expires (not an HTTP-date, "0", several values) means already expired.
    const expires = Array.isArray(stored.headers.expires) && stored.headers.expires.length > 1 ? undefined : httpDate(expiresHeader, stored.responseTime)
    if (expires === undefined) return 0
    const date = httpDate(header(stored.headers, 'date'), stored.responseTime) ?? stored.responseTime
    return Math.max(0, (expires - date) / 1000)
  }
  if (!HEURISTICALLY_CACHEABLE.has(stored.status) && !cc.has('public')) return 0
  const lastModified = httpDate(header(stored.headers, 'last-modified'), stored.responseTime)
  // Negative caching: a 404 or 410 (heuristically cacheable, RFC 9110 §15.1) rarely has a Last-Modified to base a
  // heuristic on; the upstream may give such answers a short heuristic lifetime of their own.
  if (lastModified === undefined) return stored.status === 404 || stored.status === 410 ? negativeSeconds : 0
  const date = httpDate(header(stored.headers, 'date'), stored.responseTime) ?? stored.responseTime
  return Math.max(0, Math.floor(((date - lastModified) / 1000) * heuristicFraction))
}

/** Whether the response carries explicit freshness (§4.2.1), as opposed to only a heuristic one. */
export function hasExplicitFreshness(cc: CacheControl, headers: Record<string, string | string[]>, targeted = false): boolean {
  return cc.has('s-maxage') || cc.has('max-age') || (!targeted && headers.expires !== undefined)
}

/** §4.2.4 and §5.2.2.2/.8/.10: once stale, this response must not be served without revalidation. */
export function mustRevalidate(cc: CacheControl): boolean {
  return cc.has('must-revalidate') || cc.has('proxy-revalidate') || cc.has('s-maxage')
}

export type NotStorableReason =
  | 'method'
  | 'status'
  | 'no-store'
  | 'private'
  | 'authorization'
  | 'set-cookie'
  | 'cookie'
  | 'vary-star'
  | 'no-freshness'
  | 'range'

/**
 * RFC 9111 §3 for a shared cache: may this response to a GET be stored? Returns the reason it may not, or undefined.
 * Deliberately stricter than the RFC in three places: responses with Set-Cookie are never stored, a qualified
 * `private="field"` is treated as unqualified `private`, and a response to a request that carried a Cookie is
 * stored only with explicit freshness or `public` — never on heuristic freshness alone, because an origin that says
 * nothing about caching a cookie-authenticated page is the web cache deception setup
 * (`/account/settings/x.css` answered with the account page, which a heuristic would then share).
 */
export function notStorableReason(
  method: string,
  status: number,
  requestHeaders: Record<string, string | string[] | undefined>,
  responseHeaders: Record<string, string | string[]>,
  targets: readonly string[] = [],
): NotStorableReason | undefined {
  if (method !== 'GET') return 'method'
  if (status < 200 || status === 206 || status === 304) return status === 206 ? 'range' : 'status'
  const requestCc = parseCacheControl(requestHeaders['cache-control'])
  const { cc, targeted } = responsePolicy(responseHeaders, targets)
  if (cc.has('no-store') || requestCc.has('no-store')) return 'no-store'
  if (cc.has('private')) return 'private'
  if (requestHeaders.authorization !== undefined && !sharedWithAuthorization(cc)) return 'authorization'
  if (responseHeaders['set-cookie'] !== undefined) return 'set-cookie'
  if ((header(responseHeaders, 'vary') ?? '').split(',').some((f) => f.trim() === '*')) return 'vary-star'
  const explicit = hasExplicitFreshness(cc, responseHeaders, targeted) || cc.has('public') || cc.has('no-cache')
  if (!explicit && requestHeaders.cookie !== undefined) return 'cookie'
  if (!explicit && !HEURISTICALLY_CACHEABLE.has(status)) return 'no-freshness'
  return undefined
}

/** §3.5: a response to a request with Authorization may be stored and reused by a shared cache only with these. */
export function sharedWithAuthorization(cc: CacheControl): boolean {
  return cc.has('public') || cc.has('s-maxage') || cc.has('must-revalidate')
}

/** An HTTP-date (RFC 9110 §5.6.7, exactly), as epoch ms; `now` places a two-digit rfc850 year. */
export function httpDate(value: string | undefined, now: number = Date.now()): number | undefined {
  return parseHttpDate(value, now)
}
