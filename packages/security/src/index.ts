// @strata/security — access control, rate limits and audit for every Strata service.
// PostgreSQL adapters are the subpath `@strata/security/postgres`; contract suites are `@strata/security/testing`.
export { SCOPES, ROLES, ANY_NAMESPACE, allows, grantForRole, grantsFromScopeClaim, isScope, type Grant, type Role, type Scope } from './access/grants.js'
export type { Principal, RateLimitSpec } from './access/principal.js'
export { Authenticator, credentialOf, type Credential } from './access/authenticator.js'
export { generateApiKeyToken, parseApiKeyToken, hashSecret, verifySecret, legacyScryptHash, type ApiKeySecret } from './api-keys/api-key-token.js'
export type { ApiKeyRecord, ApiKeyStore } from './api-keys/api-key-store.js'
export { MemoryApiKeyStore } from './api-keys/memory-api-key-store.js'
export { ApiKeys, type ApiKeysOptions, type ApiKeyView, type NewApiKey } from './api-keys/api-keys.js'
export { JwtVerifier, looksLikeJwt, type JwtVerifierOptions } from './jwt/jwt-verifier.js'
export type { RateLimiter, RateDecision } from './rate-limit/rate-limiter.js'
export { RedisRateLimiter } from './rate-limit/redis-rate-limiter.js'
export { MemoryRateLimiter } from './rate-limit/memory-rate-limiter.js'
export {
  GENESIS_HASH,
  chainHash,
  canonicalJson,
  ChainVerifier,
  type AuditEntry,
  type AuditRecord,
  type AuditQuery,
  type AuditOutcome,
  type AuditVerification,
} from './audit/audit-record.js'
export type { AuditLog } from './audit/audit-log.js'
export { MemoryAuditLog } from './audit/memory-audit-log.js'
export { AuditTrail, type AuditTrailOptions } from './audit/audit-trail.js'
export { DenialAggregator, type DenialAggregatorOptions } from './audit/denial-aggregator.js'
export { authPlugin, requirementOf, type AuthPluginOptions, type AuthRequirement } from './http/auth-plugin.js'
export { answerWithProblems, requireCredentials } from './http/service-http.js'
export { consoleCors, parseCorsOrigins, type CorsSettings } from './http/cors-origins.js'
