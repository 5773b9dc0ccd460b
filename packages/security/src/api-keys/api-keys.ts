import { hash } from 'node:crypto'
import { StrataError } from '@strata/core'
import type { Grant } from '../access/grants.js'
import type { Principal, RateLimitSpec } from '../access/principal.js'
import {
  UNKNOWN_KEY_HASH,
  generateApiKeyToken,
  hashSecret,
  isLegacyHash,
  parseApiKeyToken,
  verifyLegacySecret,
  verifySecret,
  type ApiKeySecret,
} from './api-key-token.js'
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store.js'

export interface ApiKeysOptions {
  /**
   * How long a verified key is trusted from memory before the store is asked again, ms. This is the bound on how
   * long a revoked key keeps working on an instance that did not revoke it (the revoking instance drops it at once).
   * Default 5000.
   */
  cacheTtlMs?: number
  clock?: () => number
  /**
   * The server secret key hashes are keyed with (HMAC-SHA-256). Every instance sharing a key store needs the same
   * one (STRATA_API_KEY_SECRET). None: a fixed public key (see `hashSecret`).
   */
  secret?: ApiKeySecret | undefined
}

/** Keys with an old scrypt hash verify one at a time, at most this many waiting; beyond, the sign-in fails. */
const LEGACY_QUEUE = 16

export interface NewApiKey {
  name: string
  grants: Grant[]
  expiresAt?: number | undefined
  rateLimit?: RateLimitSpec | undefined
}

/** A key as listed: everything but the hash. */
export type ApiKeyView = Omit<ApiKeyRecord, 'hash'>

interface Cached {
  principal: Principal | undefined
  until: number
}

/**
 * API keys: create (the token is returned once and never stored), list, revoke, and verify. Verification is one
 * store lookup and one HMAC-SHA-256 compared in constant time (microseconds), the same work whether the id exists or
 * not, so neither a flood of wrong secrets for a known id nor timing tells an attacker anything or costs the
 * gateway much. Results are then trusted from memory for `cacheTtlMs`. Keys stored with the old scrypt hash still
 * verify (one scrypt at a time) and are re-hashed on their first successful use.
 */
export class ApiKeys {
  private readonly cache = new Map<string, Cached>()
  private readonly pending = new Map<string, Promise<Principal | undefined>>()
  private readonly cacheTtlMs: number
  private readonly clock: () => number
  private readonly secret: ApiKeySecret | undefined
  private legacyTail: Promise<unknown> = Promise.resolve()
  private legacyWaiting = 0

  constructor(
    private readonly store: ApiKeyStore,
    options: ApiKeysOptions = {},
  ) {
    this.cacheTtlMs = options.cacheTtlMs ?? 5_000
    this.clock = options.clock ?? Date.now
    this.secret = options.secret
  }

  get revocationDelayMs(): number {
    return this.cacheTtlMs
  }

  async create(key: NewApiKey): Promise<{ token: string; key: ApiKeyView }> {
    if (key.name.trim() === '') throw new StrataError('E_INVALID_OPTION', 'An API key needs a name')
    const { id, secret, token } = generateApiKeyToken()
    const record: ApiKeyRecord = {
      id,
      name: key.name,
      hash: hashSecret(secret, this.secret),
      grants: key.grants.map((g) => ({ namespace: g.namespace, scopes: [...g.scopes] })),
      createdAt: this.clock(),
      ...(key.expiresAt === undefined ? {} : { expiresAt: key.expiresAt }),
      ...(key.rateLimit === undefined ? {} : { rateLimit: key.rateLimit }),
    }
    await this.store.insert(record)
    return { token, key: view(record) }
  }

  /**
   * Stores a key whose token was made elsewhere (a bootstrap admin key from the environment), unless its id exists.
   * E_INVALID_OPTION when the token is not shaped like `sk_<id>_<secret>`.
   */
  async ensure(token: string, key: NewApiKey): Promise<ApiKeyView> {
    const parsed = parseApiKeyToken(token)
    if (parsed === undefined) throw new StrataError('E_INVALID_OPTION', 'A bootstrap API key must look like sk_<12 lowercase letters or digits>_<43 base64url characters>')
    const existing = await this.store.get(parsed.id)
    if (existing !== undefined) return view(existing)
    const record: ApiKeyRecord = { id: parsed.id, name: key.name, hash: hashSecret(parsed.secret, this.secret), grants: key.grants, createdAt: this.clock() }
    await this.store.insert(record)
    return view(record)
  }

  async list(): Promise<ApiKeyView[]> {
    return (await this.store.list()).map(view)
  }

  async get(id: string): Promise<ApiKeyView> {
    const record = await this.store.get(id)
    if (record === undefined) throw notFound(id)
    return view(record)
  }

  async revoke(id: string): Promise<ApiKeyView> {
    if (!(await this.store.revoke(id, this.clock()))) throw notFound(id)
    for (const [digest, cached] of this.cache) if (cached.principal?.id === `key:${id}`) this.cache.delete(digest)
    return this.get(id)
  }

  /** The principal of a token verified (valid) within the cache TTL; undefined when `verify` has to answer. */
  cached(token: string): Principal | undefined {
    return this.fresh(digestOf(token))?.principal
  }

  /** The principal a presented token stands for, or undefined when it is not a valid, live key. */
  verify(token: string): Promise<Principal | undefined> {
    const digest = digestOf(token)
    const cached = this.fresh(digest)
    if (cached !== undefined) return Promise.resolve(cached.principal)
    let running = this.pending.get(digest)
    if (running === undefined) {
      running = this.verifyUncached(token)
        .then((principal) => {
          if (this.cache.size > 10_000) this.cache.clear()
          this.cache.set(digest, { principal, until: this.clock() + this.cacheTtlMs })
          return principal
        })
        .finally(() => this.pending.delete(digest))
      this.pending.set(digest, running)
    }
    return running
  }

  /** The cached verification of a token digest while it is within the cache TTL. */
  private fresh(digest: string): Cached | undefined {
    const cached = this.cache.get(digest)
    return cached !== undefined && cached.until > this.clock() ? cached : undefined
  }

  private async verifyUncached(token: string): Promise<Principal | undefined> {
    const parsed = parseApiKeyToken(token)
    if (parsed === undefined) return undefined
    const record = await this.store.get(parsed.id)
    // An unknown id is compared against a dummy hash: the same work, so timing does not say which ids exist.
    const stored = record?.hash ?? UNKNOWN_KEY_HASH
    const valid = isLegacyHash(stored) ? await this.verifyLegacy(parsed.id, parsed.secret, stored) : verifySecret(parsed.secret, stored, this.secret)
    if (record === undefined || !valid) return undefined
    const now = this.clock()
    if (record.revokedAt !== undefined || (record.expiresAt !== undefined && record.expiresAt <= now)) return undefined
    return { kind: 'api-key', id: `key:${record.id}`, name: record.name, grants: record.grants, rateLimit: record.rateLimit }
  }

  /** A scrypt check, serialised (one libuv thread at most) and bounded; a success migrates the row to the keyed hash. */
  private async verifyLegacy(id: string, secret: string, stored: string): Promise<boolean> {
    if (this.legacyWaiting >= LEGACY_QUEUE) return false
    this.legacyWaiting += 1
    const run = this.legacyTail.then(() => verifyLegacySecret(secret, stored))
    this.legacyTail = run.catch(() => undefined)
    try {
      const valid = await run
      if (valid) await this.store.replaceHash(id, stored, hashSecret(secret, this.secret))
      return valid
    } finally {
      this.legacyWaiting -= 1
    }
  }
}

function view(record: ApiKeyRecord): ApiKeyView {
  const { hash: _hash, ...rest } = record
  return rest
}

function notFound(id: string): StrataError {
  return new StrataError('E_API_KEY_NOT_FOUND', `No API key with id '${id}'`, { context: { keyId: id } })
}

/** The verification cache's key: a token's SHA-256, so the cache holds no secret (one-shot hash: it runs per request). */
function digestOf(token: string): string {
  return hash('sha256', token, 'base64url')
}
