import { createHmac, randomBytes } from 'node:crypto'
import { RE2JS } from 're2js'
import type { NamespaceSecurity } from '@strata/api'
import { StrataError, type Keyring } from '@strata/core'

export { NamespaceSecuritySchema, type NamespaceSecurity } from '@strata/api'

// Compiled key patterns, by source: the hot path does not recompile. RE2 (re2js, pure JS) matches in time linear in
// the key, whatever the pattern: a namespace admin's `(a+)+b` cannot stall the event loop for every tenant the way a
// backtracking RegExp does (1.17 s for 26 characters, doubling per character).
const patterns = new Map<string, RE2JS>()
const MAX_PATTERNS = 1_000

function compiled(source: string): RE2JS {
  let pattern = patterns.get(source)
  if (pattern === undefined) {
    try {
      pattern = RE2JS.compile(source)
    } catch (cause) {
      throw new StrataError('E_INVALID_OPTION', `security.keyPattern is not a valid RE2 regular expression (no backreferences or lookaround): ${source}`, {
        cause,
        context: { option: 'security.keyPattern' },
      })
    }
    if (patterns.size >= MAX_PATTERNS) patterns.clear()
    patterns.set(source, pattern)
  }
  return pattern
}

/** Checks a policy when a namespace is created or changed: the pattern compiles, the ttl fits, a keyring exists. */
export function checkSecurityPolicy(security: NamespaceSecurity | undefined, ttl: number | undefined, keyring: Keyring | undefined): void {
  if (security === undefined) return
  if (security.keyPattern !== undefined) compiled(security.keyPattern)
  if (security.maxTtl !== undefined && ttl !== undefined && ttl > security.maxTtl) {
    throw new StrataError('E_POLICY_VIOLATION', `The namespace ttl ${ttl} ms is above its security.maxTtl ${security.maxTtl} ms`, { context: { option: 'ttl' } })
  }
  if (security.encryption === 'required' && keyring === undefined) {
    throw new StrataError('E_ENCRYPTION_REQUIRED', 'security.encryption is required but this gateway has no keyring (STRATA_ENCRYPTION_KEYS)', {
      context: { option: 'security.encryption' },
    })
  }
}

/** A key a request names, against the namespace's keyPattern. */
export function checkKey(namespace: string, security: NamespaceSecurity | undefined, key: string): void {
  if (security?.keyPattern === undefined) return
  if (!compiled(security.keyPattern).matches(key)) {
    throw new StrataError('E_POLICY_VIOLATION', `Key does not match the key pattern of namespace '${namespace}'`, {
      context: { namespace, option: 'security.keyPattern' },
    })
  }
}

/** A write's ttl and value, against maxTtl and maxValueBytes. */
export function checkWrite(namespace: string, security: NamespaceSecurity | undefined, ttl: number | undefined, value: unknown): void {
  if (security === undefined) return
  if (security.maxTtl !== undefined && ttl !== undefined && ttl > security.maxTtl) {
    throw new StrataError('E_POLICY_VIOLATION', `ttl ${ttl} ms is above the maximum of ${security.maxTtl} ms for namespace '${namespace}'`, {
      context: { namespace, option: 'security.maxTtl' },
    })
  }
  if (security.maxValueBytes !== undefined) {
    const size = Buffer.byteLength(JSON.stringify(value) ?? 'null')
    if (size > security.maxValueBytes) {
      throw new StrataError('E_POLICY_VIOLATION', `The value is ${size} bytes; namespace '${namespace}' allows ${security.maxValueBytes}`, {
        context: { namespace, option: 'security.maxValueBytes' },
      })
    }
  }
}

/**
 * Hashes keys of `hashKeys` namespaces with HMAC-SHA-256 under a server secret: an unsalted sha256 of a guessable key
 * (an email, a user id) is reversed by hashing candidates. Gateways that share STRATA_SERVER_SECRET hash a key alike
 * (so audit and analytics rows correlate across instances); without one, each process draws a random key.
 */
export class KeyHasher {
  private readonly secret: Uint8Array | string

  constructor(secret?: Uint8Array | string) {
    this.secret = secret === undefined || secret.length === 0 ? randomBytes(32) : secret
  }

  hash(key: string): string {
    return `hmac:${createHmac('sha256', this.secret).update('strata key hash\n').update(key).digest('hex').slice(0, 16)}`
  }
}

const processHasher = new KeyHasher()

/** How a key may appear in logs, telemetry and audit records: itself, or `hmac:<first 16 hex>` under hashKeys. */
export function telemetryKey(security: NamespaceSecurity | undefined, key: string, hasher: KeyHasher = processHasher): string {
  return security?.hashKeys === true ? hasher.hash(key) : key
}

/** Whether values of the namespace may be logged or sampled into telemetry (never, unless the policy says so). */
export function valuesLoggable(security: NamespaceSecurity | undefined): boolean {
  return security?.logValues === true
}
