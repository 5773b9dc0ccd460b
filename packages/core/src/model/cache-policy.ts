import type { Codec } from '../codecs/codec.js'
import type { Keyring } from '../codecs/encryption.js'
import type { EvictionPolicyName } from '../l1/eviction/eviction-policy.js'
import { StrataError } from '../errors/index.js'

export type WriteMode = 'cache-aside' | 'write-through' | 'write-behind'
/** none: every miss loads; local: one load per key per process; fleet: one per key across processes (L2 lease). */
export type StampedeMode = 'none' | 'local' | 'fleet'

/** How entries of a namespace live. Durations are milliseconds; all are validated by `resolvePolicy`. */
export interface CachePolicy {
  /** Freshness of an entry in L2 (and L1 unless `l1Ttl` is shorter). */
  ttl: number
  /** L1 freshness cap, so an instance re-reads L2 after it (bounds how long an L1 can lag without a bus). */
  l1Ttl: number | undefined
  /** How long after expiry a stale value may still be served (fail-safe, soft timeout, refresh). 0 disables grace. */
  grace: number
  /** After a failed reload served stale, keep serving stale for this long before trying the loader again. */
  failSafeBackoff: number
  /** Fraction of `ttl` after which a hit triggers one background refresh (0 < r < 1), or undefined for none. */
  refreshAhead: number | undefined
  /** With a stale value at hand, answer with it after this long and let the load finish in the background. */
  softTimeout: number | undefined
  /** Fail the load (E_LOADER_TIMEOUT) after this long when no stale value can be served. */
  hardTimeout: number | undefined
  stampede: StampedeMode
  /** How long a fleet lease lasts; a holder that dies frees the key after this. */
  leaseTtl: number
  writeMode: WriteMode
  codec: Codec
  /** Values whose encoded size reaches this many bytes are compressed (deflate). Infinity disables. */
  compressAbove: number
  /** Encrypt values in L2 (AES-256-GCM) with this keyring. */
  encryption: Keyring | undefined
  maxKeyLength: number
  maxValueBytes: number
  /** Upper bound on ttl + grace of any entry; also how long tag invalidation records are kept. */
  maxTtl: number
}

export interface CacheLimits {
  maxKeyLength: number
  maxValueBytes: number
}

export interface L1Options {
  maxEntries: number
  maxBytes?: number
  policy?: EvictionPolicyName
}

export const DEFAULT_POLICY: Readonly<Omit<CachePolicy, 'codec'>> = Object.freeze({
  ttl: 60_000,
  l1Ttl: undefined,
  grace: 0,
  failSafeBackoff: 5_000,
  refreshAhead: undefined,
  softTimeout: undefined,
  hardTimeout: undefined,
  stampede: 'fleet',
  leaseTtl: 10_000,
  writeMode: 'cache-aside',
  compressAbove: 4096,
  encryption: undefined,
  maxKeyLength: 1024,
  maxValueBytes: 1024 * 1024,
  maxTtl: 30 * 24 * 3_600_000,
})

const DURATION_FIELDS = ['ttl', 'grace', 'failSafeBackoff', 'leaseTtl', 'maxTtl'] as const
const OPTIONAL_DURATION_FIELDS = ['l1Ttl', 'softTimeout', 'hardTimeout'] as const

/** Merges overrides onto a base policy and validates the result; throws E_INVALID_TTL / E_INVALID_OPTION. */
export function resolvePolicy(base: CachePolicy, overrides: Partial<CachePolicy> | undefined): CachePolicy {
  if (overrides === undefined) return base
  const policy: CachePolicy = { ...base }
  for (const [name, value] of Object.entries(overrides)) {
    if (value !== undefined) (policy as unknown as Record<string, unknown>)[name] = value
  }
  validatePolicy(policy)
  return policy
}

export function validatePolicy(policy: CachePolicy): void {
  for (const field of DURATION_FIELDS) assertDuration(field, policy[field])
  for (const field of OPTIONAL_DURATION_FIELDS) {
    if (policy[field] !== undefined) assertDuration(field, policy[field])
  }
  if (policy.ttl <= 0) throw invalidTtl('ttl', policy.ttl, 'must be greater than 0')
  if (policy.ttl + policy.grace > policy.maxTtl) {
    throw invalidTtl('ttl', policy.ttl, `ttl + grace (${policy.ttl + policy.grace} ms) exceeds maxTtl (${policy.maxTtl} ms)`)
  }
  if (policy.refreshAhead !== undefined && !(policy.refreshAhead > 0 && policy.refreshAhead < 1)) {
    throw invalidOption('refreshAhead', policy.refreshAhead, 'must be a fraction between 0 and 1 (exclusive)')
  }
  if (!['none', 'local', 'fleet'].includes(policy.stampede)) {
    throw invalidOption('stampede', policy.stampede, "must be 'none', 'local' or 'fleet'")
  }
  if (!['cache-aside', 'write-through', 'write-behind'].includes(policy.writeMode)) {
    throw invalidOption('writeMode', policy.writeMode, "must be 'cache-aside', 'write-through' or 'write-behind'")
  }
  if (!(policy.compressAbove >= 0)) throw invalidOption('compressAbove', policy.compressAbove, 'must be >= 0')
  for (const field of ['maxKeyLength', 'maxValueBytes'] as const) {
    if (!Number.isInteger(policy[field]) || policy[field] <= 0) {
      throw invalidOption(field, policy[field], 'must be a positive integer')
    }
  }
}

export function assertDuration(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalidTtl(name, value, 'must be a finite number of milliseconds >= 0')
  }
}

function invalidTtl(name: string, value: unknown, why: string): StrataError {
  return new StrataError('E_INVALID_TTL', `Invalid ${name} ${String(value)}: ${why}`, { context: { option: name, value } })
}

function invalidOption(name: string, value: unknown, why: string): StrataError {
  return new StrataError('E_INVALID_OPTION', `Invalid ${name} ${String(value)}: ${why}`, { context: { option: name, value } })
}
