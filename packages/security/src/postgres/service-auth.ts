import type { Transport } from '@strata/bus'
import type { Redis } from 'ioredis'
import type pg from 'pg'
import { ApiKeys } from '../api-keys/api-keys.js'
import { Authenticator } from '../access/authenticator.js'
import { AuditTrail } from '../audit/audit-trail.js'
import type { AuthPluginOptions } from '../http/auth-plugin.js'
import { RedisRateLimiter } from '../rate-limit/redis-rate-limiter.js'
import { PostgresApiKeyStore } from './postgres-api-key-store.js'
import { PostgresAuditLog } from './postgres-audit-log.js'

export interface ServiceAuthOptions {
  /** The PostgreSQL the gateways keep their API keys and audit chain in. */
  pool: pg.Pool
  /** Rate limits shared with every instance; none: no per-key limit. */
  redis?: Redis
  /** Key prefix of the rate-limit buckets (this deployment's, e.g. `<STRATA_PREFIX>:ratelimit`). Default `strata:ratelimit`. */
  rateLimitPrefix?: string
  /** Publishes audit events on strata.audit.v1. */
  transport?: Transport
  /** `strata/<service>/<instance>`: who wrote the audit rows. */
  source: string
  /** How long a verified key is trusted from memory (bounds the revocation delay). Default 5 s. */
  cacheTtlMs?: number
  /** The server secret API key hashes are keyed with (STRATA_API_KEY_SECRET); the same on every service. */
  secret?: string | undefined
}

/**
 * The auth plugin options of a Strata service other than the gateway (invalidator, analytics, alerting): the same API
 * keys and audit chain as the gateways, in PostgreSQL, so one key works everywhere its grants allow.
 */
export async function postgresServiceAuth(options: ServiceAuthOptions): Promise<Omit<AuthPluginOptions, 'stage'>> {
  const keys = new PostgresApiKeyStore(options.pool)
  const log = new PostgresAuditLog(options.pool)
  await keys.migrate()
  await log.migrate()
  return {
    authenticator: new Authenticator(new ApiKeys(keys, { cacheTtlMs: options.cacheTtlMs ?? 5_000, secret: options.secret })),
    ...(options.redis === undefined ? {} : { rateLimiter: new RedisRateLimiter(options.redis, options.rateLimitPrefix) }),
    audit: new AuditTrail(log, { ...(options.transport === undefined ? {} : { transport: options.transport }), source: options.source }),
  }
}
