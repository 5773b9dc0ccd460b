import { parseDeltaSeconds } from './http-date.js'

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

/** Directives whose argument is delta-seconds (RFC 9111 §5.2, RFC 5861); max-stale's is optional, so not listed. */
const DELTA_DIRECTIVES = ['max-age', 's-maxage', 'min-fresh', 'stale-while-revalidate', 'stale-if-error']

/** tchar (RFC 9110 §5.6.2). */
const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/

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
  const text = Array.isArray(header) ? header.join(',') : (header ?? '')
  const directives = parseDirectives(text)
  return fromDirectives(directives, directives.malformed)
}

/** Builds the CacheControl view over parsed directives (also used for RFC 9213 targeted fields). */
export function fromDirectives(directives: ReadonlyMap<string, string | undefined>, malformed: ReadonlySet<string> = new Set()): CacheControl {
  const invalid = new Set<string>(malformed)
  for (const name of DELTA_DIRECTIVES) if (directives.has(name) && parseDeltaSeconds(directives.get(name)) === undefined) invalid.add(name)
  return {
    invalid,
    has: (name) => directives.has(name),
    seconds(name) {
      const value = directives.get(name)
      const seconds = invalid.has(name) ? undefined : parseDeltaSeconds(value)
      if (seconds === undefined && directives.has(name)) invalid.add(name)
      return seconds
    },
    fields(name) {
      const value = directives.get(name)
      return value === undefined ? [] : value.split(',').map((f) => f.trim().toLowerCase()).filter((f) => f !== '')
    },
  }
}

interface ParsedDirectives extends Map<string, string | undefined> {
  /** Directives whose argument was not a well-formed token or quoted-string. */
  malformed?: Set<string>
}

/**
 * RFC 9110 §5.6 list of `token [ "=" ( token / quoted-string ) ]` (RFC 9111 §5.2). A quoted-string keeps its commas
 * and backslash escapes; an unterminated one is a malformed argument that ends at the next comma, so it cannot hide
 * the directives after it (`no-cache="x, private` still says private). A directive whose name is not a token is
 * skipped; one whose argument is malformed is kept as present (private and no-store must not fail open) with no
 * usable argument.
 */
function parseDirectives(text: string): ParsedDirectives {
  const directives: ParsedDirectives = new Map()
  const malformed = new Set<string>()
  const length = text.length
  let i = 0
  const skipSpace = () => {
    while (i < length && (text[i] === ' ' || text[i] === '\t')) i++
  }
  const skipToComma = () => {
    while (i < length && text[i] !== ',') i++
  }
  while (i < length) {
    skipSpace()
    if (text[i] === ',') {
      i++
      continue
    }
    const nameStart = i
    while (i < length && TCHAR.test(text[i]!)) i++
    const name = text.slice(nameStart, i).toLowerCase()
    skipSpace()
    if (name === '' || (i < length && text[i] !== ',' && text[i] !== '=')) {
      skipToComma()
      continue
    }
    let value: string | undefined
    let bad = false
    if (text[i] === '=') {
      i++
      skipSpace()
      if (text[i] === '"') {
        const open = i
        let unescaped = ''
        let closed = false
        for (i = open + 1; i < length; i++) {
          const char = text[i]!
          if (char === '\\' && i + 1 < length) unescaped += text[++i]!
          else if (char === '"') {
            closed = true
            i++
            break
          } else unescaped += char
        }
        if (closed) value = unescaped
        else {
          i = open + 1
          bad = true
        }
      } else {
        const valueStart = i
        while (i < length && TCHAR.test(text[i]!)) i++
        value = text.slice(valueStart, i)
        if (value === '') bad = true
      }
      skipSpace()
      if (i < length && text[i] !== ',') bad = true
      skipToComma()
    }
    // RFC 9111 §4.2.1: a repeated directive keeps its first occurrence.
    if (directives.has(name)) continue
    directives.set(name, bad ? undefined : value)
    if (bad) malformed.add(name)
  }
  directives.malformed = malformed
  return directives
}
