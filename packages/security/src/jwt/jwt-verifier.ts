import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose'
import { grantsFromScopeClaim, type Grant } from '../access/grants.js'
import type { Principal } from '../access/principal.js'

export interface JwtVerifierOptions {
  /** The identity provider's JWKS endpoint; keys are fetched and cached by jose (re-fetched on an unknown `kid`). */
  jwksUrl: string | URL
  issuer: string
  audience: string
  /** Allowed signing algorithms. Default RS256 and ES256 (never `none`, never HMAC with a public key). */
  algorithms?: string[]
  /** Clock skew tolerated on exp/nbf, seconds. Default 30. */
  clockToleranceSec?: number
  /** Claim holding `<scope>:<namespace>` items. Default `scope`. */
  scopeClaim?: string
  /** Refuse tokens without an `exp` claim (they would be valid forever). Default true. */
  requireExp?: boolean
}

/**
 * Bearer JWTs from an identity provider: signature against its JWKS, then issuer, audience, exp and nbf. Grants come
 * from the scope claim (`read:orders write:*`). A token without `exp` is refused unless `requireExp: false`. A token
 * that fails any check is simply not a principal.
 */
export class JwtVerifier {
  private readonly keys: JWTVerifyGetKey
  private readonly algorithms: string[]

  constructor(private readonly options: JwtVerifierOptions) {
    this.keys = createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000 })
    this.algorithms = options.algorithms ?? ['RS256', 'ES256']
  }

  async verify(token: string): Promise<Principal | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: this.algorithms,
        clockTolerance: this.options.clockToleranceSec ?? 30,
        requiredClaims: this.options.requireExp === false ? [] : ['exp'],
      })
      if (typeof payload.sub !== 'string' || payload.sub === '') return undefined
      const grants: Grant[] = grantsFromScopeClaim(payload[this.options.scopeClaim ?? 'scope'])
      return { kind: 'jwt', id: `jwt:${payload.sub}`, name: payload.sub, grants }
    } catch {
      return undefined
    }
  }
}

/** Three dot-separated base64url parts: worth handing to the JWT verifier rather than the key store. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)
}
