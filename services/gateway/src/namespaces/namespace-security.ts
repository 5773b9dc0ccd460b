import { createHash } from 'node:crypto'
import type { NamespaceSecurity } from '@strata/api'
import { StrataError, type Keyring } from '@strata/core'

export { NamespaceSecuritySchema, type NamespaceSecurity } from '@strata/api'

// Compiled key patterns, by source: the hot path does not recompile.
const patterns = new Map<string, RegExp>()

function compiled(source: string): RegExp {
  let pattern = patterns.get(source)
  if (pattern === undefined) {
    try {
      pattern = new RegExp(`^(?:${source})$`, 'u')
    } catch (cause) {
      throw new StrataError('E_INVALID_OPTION', `security.keyPattern is not a valid regular expression: ${source}`, { cause, context: { option: 'security.keyPattern' } })
    }
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
  if (!compiled(security.keyPattern).test(key)) {
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

/** How a key may appear in logs, telemetry and audit records: itself, or `sha256:<first 16 hex>` under hashKeys. */
export function telemetryKey(security: NamespaceSecurity | undefined, key: string): string {
  return security?.hashKeys === true ? `sha256:${createHash('sha256').update(key).digest('hex').slice(0, 16)}` : key
}

/** Whether values of the namespace may be logged or sampled into telemetry (never, unless the policy says so). */
export function valuesLoggable(security: NamespaceSecurity | undefined): boolean {
  return security?.logValues === true
}
