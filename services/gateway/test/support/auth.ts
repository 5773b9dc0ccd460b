import { ApiKeys, AuditTrail, Authenticator, MemoryApiKeyStore, MemoryAuditLog, type AuditLog, type Grant, type RateLimiter } from '@strata/security'
import type { GatewayAuth } from '../../src/app.js'

/** Auth for a test gateway: keys in memory (or the given store), an audit log, and a way to mint keys by grant. */
export class TestAuth {
  readonly apiKeys: ApiKeys
  readonly auth: GatewayAuth
  private readonly minted = new Map<string, Promise<string>>()

  constructor(options: { audit?: AuditLog; rateLimiter?: RateLimiter; apiKeys?: ApiKeys } = {}) {
    this.apiKeys = options.apiKeys ?? new ApiKeys(new MemoryApiKeyStore())
    this.auth = {
      authenticator: new Authenticator(this.apiKeys),
      rateLimiter: options.rateLimiter,
      audit: new AuditTrail(options.audit ?? new MemoryAuditLog(), { source: 'strata/gateway/test' }),
    }
  }

  /** A token with exactly these grants (made once per distinct set). */
  key(...grants: Grant[]): Promise<string> {
    const id = JSON.stringify(grants)
    let token = this.minted.get(id)
    if (token === undefined) {
      token = this.apiKeys.create({ name: id, grants }).then((created) => created.token)
      this.minted.set(id, token)
    }
    return token
  }

  admin(): Promise<string> {
    return this.key({ namespace: '*', scopes: ['admin'] })
  }
}
