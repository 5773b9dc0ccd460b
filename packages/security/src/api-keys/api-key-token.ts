import { createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

/**
 * API keys look like `sk_<id>_<secret>`: the id is public (it names the key in lists, logs and the audit trail, and
 * finds the stored record in one lookup), the secret is 32 random bytes shown once and stored only as a keyed hash.
 */
const PREFIX = 'sk'
const ID_PATTERN = /^[a-z0-9]{12}$/
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

export interface ApiKeyToken {
  id: string
  secret: string
}

export function generateApiKeyToken(): ApiKeyToken & { token: string } {
  const bytes = randomBytes(12)
  let id = ''
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length]
  const secret = randomBytes(32).toString('base64url')
  return { id, secret, token: `${PREFIX}_${id}_${secret}` }
}

/** The id and secret of a presented key, or undefined when it is not shaped like one of ours. */
export function parseApiKeyToken(token: string): ApiKeyToken | undefined {
  if (!token.startsWith(`${PREFIX}_`)) return undefined
  const id = token.slice(PREFIX.length + 1, PREFIX.length + 13)
  const secret = token.slice(PREFIX.length + 14)
  if (token[PREFIX.length + 13] !== '_' || !ID_PATTERN.test(id) || !SECRET_PATTERN.test(secret)) return undefined
  return { id, secret }
}

/**
 * The server secret API key hashes are keyed with (HMAC-SHA-256). A secret of 256 random bits needs no work factor
 * (nobody can guess it, offline or online), so a slow hash only hands an attacker who knows a key id a way to burn
 * our CPU; the HMAC key adds that a stolen key table is useless without the server's secret. Without a configured
 * secret a fixed, public domain-separation key is used: still not guessable (the secrets are random), but a leaked
 * table then lets an attacker test candidate tokens offline — set STRATA_API_KEY_SECRET in production.
 */
export type ApiKeySecret = Uint8Array | string
const DEFAULT_SECRET = 'strata api key hash v1 (no server secret configured)'

/** `hmac-sha256$<hash b64url>`: microseconds, the same cost for every input. */
export function hashSecret(secret: string, serverSecret: ApiKeySecret = DEFAULT_SECRET): string {
  return `hmac-sha256$${hmac(secret, serverSecret).toString('base64url')}`
}

function hmac(secret: string, serverSecret: ApiKeySecret): Buffer {
  return createHmac('sha256', serverSecret).update(secret).digest()
}

/** Whether a stored hash is the old scrypt kind (verified once more with scrypt, then re-hashed). */
export function isLegacyHash(stored: string): boolean {
  return stored.startsWith('scrypt$')
}

/** Constant-time check of a presented secret against an `hmac-sha256$` hash; false for any other scheme. */
export function verifySecret(secret: string, stored: string, serverSecret: ApiKeySecret = DEFAULT_SECRET): boolean {
  const actual = hmac(secret, serverSecret)
  const expected = stored.startsWith('hmac-sha256$') ? Buffer.from(stored.slice('hmac-sha256$'.length), 'base64url') : Buffer.alloc(32)
  // Compare even when the scheme is wrong, so every outcome costs the same work.
  const same = expected.length === actual.length && timingSafeEqual(actual, expected)
  return same && stored.startsWith('hmac-sha256$')
}

/** The hash compared against when a key id is unknown, so an unknown id costs what a known one does. */
export const UNKNOWN_KEY_HASH = `hmac-sha256$${Buffer.alloc(32).toString('base64url')}`

function scryptAsync(secret: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(secret, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))))
}

/**
 * Keys stored before keyed hashes were `scrypt$N$r$p$<salt>$<hash>`; they still verify (and are then re-hashed by
 * ApiKeys), at scrypt's cost, which ApiKeys bounds by running one such check at a time.
 */
export async function verifyLegacySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false
  const N = Number(n)
  // Only the parameters we ever wrote: a tampered row must not make one check cost seconds.
  if (N !== 1 << 15 || Number(r) !== 8 || Number(p) !== 1) return false
  const expected = Buffer.from(hash, 'base64url')
  if (expected.length !== 32) return false
  const actual = await scryptAsync(secret, Buffer.from(salt, 'base64url'), expected.length, { N, r: 8, p: 1, maxmem: 64 * 1024 * 1024 })
  return timingSafeEqual(actual, expected)
}

/** A scrypt hash as old versions stored it: for tests of the migration path only. */
export async function legacyScryptHash(secret: string): Promise<string> {
  const salt = randomBytes(16)
  const hash = await scryptAsync(secret, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 })
  return ['scrypt', 1 << 15, 8, 1, salt.toString('base64url'), hash.toString('base64url')].join('$')
}
