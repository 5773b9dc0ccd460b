import { Token, parseDictionary } from 'structured-headers'
import { fromDirectives, parseCacheControl, type CacheControl } from './cache-control.js'
import { header } from './stored-response.js'

/** The Cache-Control-like policy a response gives this cache, and where it came from. */
export interface ResponsePolicy {
  cc: CacheControl
  /** A targeted field (RFC 9213) gave it: Cache-Control and Expires are then ignored. */
  targeted: boolean
}

/**
 * RFC 9213 §2.1: the first field of the target list with a valid, non-empty value decides the caching policy, and
 * Cache-Control and Expires are then ignored; with none, Cache-Control does. Targeted fields are Structured Field
 * Dictionaries (RFC 8941): a field that does not parse as one is invalid and skipped, as is an empty one.
 * The target list is lowercased field names, most specific first (`strata-cache-control`, `cdn-cache-control`).
 */
export function responsePolicy(headers: Record<string, string | string[] | undefined>, targets: readonly string[]): ResponsePolicy {
  for (const name of targets) {
    const value = header(headers, name)
    if (value === undefined) continue
    const cc = parseTargeted(value)
    if (cc !== undefined) return { cc, targeted: true }
  }
  return { cc: parseCacheControl(headers['cache-control']), targeted: false }
}

const MEMO_LIMIT = 256
const memo = new Map<string, CacheControl | null>()

function parseTargeted(value: string): CacheControl | undefined {
  let parsed = memo.get(value)
  if (parsed === undefined) {
    if (memo.size >= MEMO_LIMIT) memo.clear()
    memo.set(value, (parsed = parseUncached(value) ?? null))
  }
  return parsed ?? undefined
}

function parseUncached(value: string): CacheControl | undefined {
  let dictionary: ReturnType<typeof parseDictionary>
  try {
    dictionary = parseDictionary(value)
  } catch {
    return undefined
  }
  if (dictionary.size === 0) return undefined
  const directives = new Map<string, string | undefined>()
  const malformed = new Set<string>()
  for (const [name, [item]] of dictionary) {
    // §2.1: parameters are ignored; a Boolean false is the directive's absence.
    if (item === false) continue
    if (item === true) directives.set(name, undefined)
    else if (typeof item === 'number') {
      directives.set(name, String(item))
      // Only an sf-integer is a delta-seconds: `60.0` is an sf-decimal, which the parser also reads as 60.
      if (!Number.isInteger(item) || new RegExp(`(?:^|[\\s,])${escapeRegExp(name)}=-?\\d+\\.`).test(value)) malformed.add(name)
    } else if (typeof item === 'string') directives.set(name, item)
    else if (item instanceof Token) directives.set(name, item.toString())
    else {
      directives.set(name, undefined)
      malformed.add(name)
    }
  }
  return fromDirectives(directives, malformed)
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
