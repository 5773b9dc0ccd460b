import { createHash } from 'node:crypto'

/** Memcached's limit on a key, in bytes; keys are ASCII here, so also in characters. */
export const MAX_KEY_LENGTH = 250
/** Marks a hashed key. Escaping always writes `%` and two hex digits, so no escaped key can contain it. */
const HASHED_MARK = '%~'
/** SHA-256 in base64url: 43 characters, no `%`. */
const DIGEST_LENGTH = 43
/** Printable ASCII except `%` (our escape) and `$` (the memcached client rewrites keys with String#replace). */
const PLAIN = /^[\x21-\x23\x26-\x7e]*$/

/**
 * Maps an engine key (any string) to a memcached key: at most 250 bytes, no spaces or control characters.
 *
 * - Bytes outside printable ASCII, and `%` and `$`, are percent-escaped (UTF-8 bytes): injective, and it preserves
 *   prefixes, which is what lets clear(prefix) match keys listed by the server.
 * - Keys that still exceed 250 bytes (and the key `cas`) keep their first 205 escaped characters, readable in `stats`/dumps, followed by
 *   `%~` and the SHA-256 of the whole key. Deterministic across processes and distinct from every escaped key.
 */
export function memcachedKeyOf(key: string): string {
  const escaped = PLAIN.test(key) ? key : escapeKey(key)
  // `cas` is also the field the client adds to a `gets` reply, which would hide the item of a key named so.
  if (escaped.length <= MAX_KEY_LENGTH && escaped !== 'cas') return escaped
  const digest = createHash('sha256').update(key, 'utf8').digest('base64url')
  return `${escaped.slice(0, MAX_KEY_LENGTH - HASHED_MARK.length - DIGEST_LENGTH)}${HASHED_MARK}${digest}`
}

/**
 * Whether a memcached key (as listed by the server) belongs to an engine key under `prefix`. Exact, except for a
 * hashed key whose readable head is shorter than the escaped prefix: only its head can be compared, so clear() also
 * removes such keys when the head matches (a prefix longer than ~200 bytes may over-clear, never under-clear).
 */
export function matchesPrefix(memcachedKey: string, escapedPrefix: string): boolean {
  const mark = memcachedKey.lastIndexOf(HASHED_MARK)
  if (mark === -1) return memcachedKey.startsWith(escapedPrefix)
  const head = memcachedKey.slice(0, mark)
  return escapedPrefix.length <= head.length ? head.startsWith(escapedPrefix) : escapedPrefix.startsWith(head)
}

/** The escaped form of a prefix, to compare with memcached keys (never hashed: comparison handles long ones). */
export function escapedPrefixOf(prefix: string): string {
  return PLAIN.test(prefix) ? prefix : escapeKey(prefix)
}

function escapeKey(key: string): string {
  let out = ''
  for (const byte of Buffer.from(key, 'utf8')) {
    out += byte > 0x20 && byte < 0x7f && byte !== 0x25 && byte !== 0x24 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}
