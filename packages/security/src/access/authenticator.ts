import type { ApiKeys } from '../api-keys/api-keys.js'
import { looksLikeJwt, type JwtVerifier } from '../jwt/jwt-verifier.js'
import type { Principal } from './principal.js'

export type Credential = { kind: 'none' } | { kind: 'token'; token: string; source: 'authorization' | 'x-api-key' }

/**
 * The credential a request carries: `Authorization: Bearer <api key or JWT>`, else `x-api-key: <api key>`. An
 * Authorization header of another scheme (Basic, Digest...) is not ours when an x-api-key is present: it is left for
 * whoever is behind the gateway (a proxied origin); without an x-api-key it is a failed sign-in.
 */
export function credentialOf(headers: Record<string, string | string[] | undefined>): Credential {
  const authorization = headers.authorization
  const apiKey = headers['x-api-key']
  if (typeof authorization === 'string') {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization)
    if (match?.[1] !== undefined) return { kind: 'token', token: match[1], source: 'authorization' }
    if (typeof apiKey !== 'string') return { kind: 'token', token: '', source: 'authorization' }
  }
  if (typeof apiKey === 'string') return { kind: 'token', token: apiKey.trim(), source: 'x-api-key' }
  return { kind: 'none' }
}

/** API keys and, when configured, JWTs: the one question the HTTP layer asks, "who is this?". */
export class Authenticator {
  constructor(
    readonly apiKeys: ApiKeys,
    private readonly jwt?: JwtVerifier,
  ) {}

  /** The principal of an API key verified within the cache TTL, without waiting; undefined: ask `authenticate`. */
  cached(token: string): Principal | undefined {
    if (token === '' || (this.jwt !== undefined && looksLikeJwt(token))) return undefined
    return this.apiKeys.cached(token)
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    if (token === '') return undefined
    if (this.jwt !== undefined && looksLikeJwt(token)) return this.jwt.verify(token)
    return this.apiKeys.verify(token)
  }
}
