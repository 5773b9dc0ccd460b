/**
 * A parsed Cache-Control field (RFC 9111 §5.2). Directive names are case-insensitive; a repeated directive keeps its
 * first value; an invalid delta-seconds makes the directive absent (and for max-age, §4.2.1 then says stale, which the
 * caller gets from `invalid`).
 */
export interface CacheControl {
  has(name: string): boolean
  /** delta-seconds of a directive, or undefined when absent or not a non-negative integer. */
  seconds(name: string): number | undefined
  /** Field names listed by a qualified directive (`no-cache="set-cookie"`), lowercased. */
  fields(name: string): string[]
  /** A directive that needs a delta-seconds argument carried something else. */
  readonly invalid: ReadonlySet<string>
}

const DELTA_SECONDS = /^\d+$/
// Values beyond 2^31 are treated as 2^31 (RFC 9111 §1.2.2).
const MAX_DELTA = 2_147_483_648

const EMPTY = parseUncached(undefined)
const MEMO_LIMIT = 512
// Servers send a handful of distinct Cache-Control values, and a cache hit looks at the stored one several times:
// parsing each distinct string once takes the parser off the hit path. Bounded, so hostile headers can't grow it.
const memo = new Map<string, CacheControl>()

export function parseCacheControl(header: string | string[] | undefined): CacheControl {
  if (header === undefined) return EMPTY
  if (typeof header !== 'string') return parseUncached(header)
  let parsed = memo.get(header)
  if (parsed === undefined) {
    if (memo.size >= MEMO_LIMIT) memo.clear()
    memo.set(header, (parsed = parseUncached(header)))
  }
  return parsed
}

function parseUncached(header: string | string[] | undefined): CacheControl {
  const directives = new Map<string, string | undefined>()
  const invalid = new Set<string>()
  const text = Array.isArray(header) ? header.join(',') : (header ?? '')
  for (const part of splitDirectives(text)) {
    const eq = part.indexOf('=')
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase()
    if (name === '' || directives.has(name)) continue
    let value = eq === -1 ? undefined : part.slice(eq + 1).trim()
    if (value !== undefined && value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1)
    directives.set(name, value)
  }
  return {
    invalid,
    has: (name) => directives.has(name),
    seconds(name) {
      const value = directives.get(name)
      if (value === undefined || !DELTA_SECONDS.test(value)) {
        if (directives.has(name)) invalid.add(name)
        return undefined
      }
      return Math.min(Number(value), MAX_DELTA)
    },
    fields(name) {
      const value = directives.get(name)
      return value === undefined ? [] : value.split(',').map((f) => f.trim().toLowerCase()).filter((f) => f !== '')
    },
  }
}

/** Splits on commas outside quoted strings (`no-cache="a, b", max-age=5`). */
function splitDirectives(text: string): string[] {
  const parts: string[] = []
  let current = ''
  let quoted = false
  for (const char of text) {
    if (char === '"') quoted = !quoted
    if (char === ',' && !quoted) {
      parts.push(current)
      current = ''
    } else {
      current += char
    }
  }
  parts.push(current)
  return parts.map((p) => p.trim()).filter((p) => p !== '')
}
