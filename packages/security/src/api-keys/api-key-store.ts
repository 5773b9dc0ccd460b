import type { Grant } from '../access/grants.js'
import type { RateLimitSpec } from '../access/principal.js'

/** An API key as stored: never the secret, only its keyed hash (`hmac-sha256$...`, older rows `scrypt$...`). Times are epoch ms. */
export interface ApiKeyRecord {
  id: string
  name: string
  hash: string
  grants: Grant[]
  createdAt: number
  expiresAt?: number | undefined
  revokedAt?: number | undefined
  rateLimit?: RateLimitSpec | undefined
}

/** Where API keys live. Adapters: PostgreSQL (`@strata/security/postgres`) and in-memory; one contract suite. */
export interface ApiKeyStore {
  /** Stores a new key; E_INVALID_OPTION when the id exists. */
  insert(record: ApiKeyRecord): Promise<void>
  get(id: string): Promise<ApiKeyRecord | undefined>
  /** Every key, newest first, revoked ones included. */
  list(): Promise<ApiKeyRecord[]>
  /** Marks the key revoked at `at`; false when there is no such key (revoking twice keeps the first time). */
  revoke(id: string, at: number): Promise<boolean>
  /**
   * Replaces the stored hash of a key, only while it is still `previous` (a compare-and-set, so two instances
   * migrating the same key do not race); false when the key is gone or its hash changed.
   */
  replaceHash(id: string, previous: string, next: string): Promise<boolean>
}
