import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

/**
 * API keys look like `sk_<id>_<secret>`: the id is public (it names the key in lists, logs and the audit trail, and
 * finds the stored record in one lookup), the secret is 32 random bytes shown once and stored only as a scrypt hash.
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

// scrypt with N=2^15, r=8, p=1 (OWASP's minimum is N=2^17 for passwords; a 256-bit random secret needs no work factor
// against guessing at all, the cost only slows an offline attacker holding the table). Tens of ms, more on a busy machine; verified keys are
// cached, so the hot path does not pay it.
const PARAMS = { N: 1 << 15, r: 8, p: 1, keyLength: 32 }

function scryptAsync(secret: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(secret, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))))
}

/** `scrypt$N$r$p$<salt b64url>$<hash b64url>`: the parameters travel with the hash, so they can be raised later. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16)
  const hash = await scryptAsync(secret, salt, PARAMS.keyLength, { N: PARAMS.N, r: PARAMS.r, p: PARAMS.p, maxmem: 64 * 1024 * 1024 })
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), hash.toString('base64url')].join('$')
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false
  const expected = Buffer.from(hash, 'base64url')
  const actual = await scryptAsync(secret, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 64 * 1024 * 1024,
  })
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}
