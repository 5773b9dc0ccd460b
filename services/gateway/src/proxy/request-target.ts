import { StrataError } from '@strata/core'

/**
 * The part of a proxied request target below the upstream, checked and normalised before it names a cache entry or
 * reaches the origin. RFC 3986 §5.2.4 dot segments are removed — `%2e` counts as a dot (as WHATWG URL and most
 * servers read it) — and a target that would climb above the upstream's base is refused, also when the climb hides
 * behind an encoded slash or backslash (`..%2f`, `%5c..`) that an origin might decode. Everything else stays exactly
 * as sent (so `%2F` and `/` remain distinct entries). Refusals are 400 E_INVALID_TARGET.
 */
export function normalizeTarget(target: string): string {
  if (target === '') return '/'
  // A cache is asked for the same targets over and over: each accepted one is checked and normalised once.
  const known = accepted.get(target)
  if (known !== undefined) return known
  const normalized = checkAndNormalize(target)
  if (accepted.size >= ACCEPTED_LIMIT) accepted.clear()
  accepted.set(target, normalized)
  return normalized
}

/** Bounded (cleared when full), and only accepted targets: refused ones throw and are not kept. */
const ACCEPTED_LIMIT = 4_096
const accepted = new Map<string, string>()

function checkAndNormalize(target: string): string {
  if (!target.startsWith('/') || target.startsWith('//')) throw invalid(target, 'it must be a path below the upstream (origin-form), not an absolute or scheme-relative URL')
  if (!TARGET_CHARS.test(target)) throw invalid(target, 'it contains characters that are not allowed in a request target (RFC 9112 §3.2)')
  if (/%(?![0-9A-Fa-f]{2})/.test(target)) throw invalid(target, 'it has a % that does not start a percent-encoded byte')
  const queryAt = target.indexOf('?')
  const path = queryAt === -1 ? target : target.slice(0, queryAt)
  const query = queryAt === -1 ? '' : target.slice(queryAt)
  // What an origin that decodes %2F and %5C (and treats \ as /) would see: it must not escape either.
  const decodedSeparators = path.replace(/%2f|%5c|\\/gi, '/')
  if (climbs(decodedSeparators.split('/'))) throw invalid(target, 'its dot segments leave the upstream base path')
  return removeDotSegments(path) + query
}

// RFC 3986 pchar, "/" and "?" plus the query's; no spaces, controls, "#", quotes or non-ASCII.
const TARGET_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%\\]*$/

function isDot(segment: string): boolean {
  return segment === '.' || segment.toLowerCase() === '%2e'
}

function isDotDot(segment: string): boolean {
  return /^(?:\.|%2e)(?:\.|%2e)$/i.test(segment)
}

function climbs(segments: string[]): boolean {
  let depth = 0
  for (const segment of segments.slice(1)) {
    if (isDotDot(segment)) {
      if (depth === 0) return true
      depth--
    } else if (!isDot(segment)) depth++
  }
  return false
}

function removeDotSegments(path: string): string {
  const segments = path.split('/').slice(1)
  if (!segments.some((s) => isDot(s) || isDotDot(s))) return path
  const output: string[] = []
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1
    if (isDotDot(segment)) {
      output.pop()
      if (last) output.push('')
    } else if (isDot(segment)) {
      if (last) output.push('')
    } else output.push(segment)
  })
  return `/${output.join('/')}`
}

function invalid(target: string, why: string): StrataError {
  return new StrataError('E_INVALID_TARGET', `The request target is refused: ${why}`, { context: { target: target.slice(0, 256) } })
}
