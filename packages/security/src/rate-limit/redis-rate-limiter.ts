import { readFileSync } from 'node:fs'
import type { Redis } from 'ioredis'
import { StrataError } from '@strata/core'
import { isRedisUnavailable } from '@strata/core/redis'
import type { RateLimitSpec } from '../access/principal.js'
import type { RateDecision, RateLimiter } from './rate-limiter.js'

const SCRIPT = readFileSync(new URL('./token-bucket.lua', import.meta.url), 'utf8')

/** The Retry-After of a request refused because Redis is away: a Sentinel failover or a reconnect takes about that. */
const UNAVAILABLE_RETRY_AFTER_MS = 1_000

/** The Redis commands this adapter uses: one script, loaded once and called by its SHA (ioredis defineCommand). */
type TokenBucketClient = Redis & {
  strataTokenBucket(key: string, rate: number, burst: number, now: number, want: number, returned: number): Promise<[number, number, number]>
}

export interface RedisRateLimiterOptions {
  /** How long tokens taken ahead stay usable by this instance before they go back to the shared bucket (default 100 ms). */
  leaseMs?: number
  /** Subjects whose lease state is kept at once (default 10,000): past it, a subject takes one token per request. */
  maxSubjects?: number
}

/** Tokens this instance took from a subject's shared bucket and has not spent yet. */
interface Lease {
  tokens: number
  expiresAt: number
  /** Tokens left in Redis when the lease was taken: `remaining` is that plus what is left here. */
  remote: number
  /** Size of the next lease: doubled when one is spent before it expires, halved when one expires unspent. */
  size: number
  /** The lease request in flight: takes that find no token wait for it instead of asking Redis again. */
  pending: Promise<void> | undefined
  /** Redis refused until then (no token refills sooner): refusals in the meantime are answered here. */
  refusedUntil: number
}

/**
 * Rate limits shared by every gateway instance: one Redis hash per key, updated by a Lua token bucket. Times come
 * from the caller's clock (not Redis TIME) so tests can reason about them; instances' clocks only need to agree
 * roughly (a skew of s seconds lets at most s·rate extra requests through).
 *
 * A busy key does not cost a Redis round trip per request: the instance takes tokens ahead in leases (1 at first,
 * doubling while they are spent within `leaseMs`, at most a tenth of a second's rate and a tenth of the burst) and
 * spends them locally; unspent ones go back to the bucket with the next lease. Tokens are only ever spent after Redis
 * granted them, so the shared limit is never exceeded; what leasing can cost is an early refusal on one instance while
 * another holds up to a tenth of the burst for at most `leaseMs`. Keys below 10/s (or a burst under 10) take one
 * token per request, exactly as without leases.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: TokenBucketClient
  private readonly leases = new Map<string, Lease>()
  private readonly leaseMs: number
  private readonly maxSubjects: number

  constructor(
    redis: Redis,
    private readonly prefix = 'strata:ratelimit',
    private readonly clock: () => number = Date.now,
    options: RedisRateLimiterOptions = {},
  ) {
    if (typeof (redis as unknown as Partial<TokenBucketClient>).strataTokenBucket !== 'function') {
      redis.defineCommand('strataTokenBucket', { numberOfKeys: 1, lua: SCRIPT })
    }
    this.redis = redis as unknown as TokenBucketClient
    this.leaseMs = options.leaseMs ?? 100
    this.maxSubjects = options.maxSubjects ?? 10_000
  }

  /** A token of this instance's lease, or a refusal Redis gave that still holds; undefined: `take` must ask Redis. */
  takeLocal(subject: string, limit: RateLimitSpec): RateDecision | undefined {
    const lease = this.leases.get(subject)
    return lease === undefined ? undefined : this.spend(lease, this.largestLease(limit), this.clock())
  }

  /** Throws E_RATE_LIMIT_UNAVAILABLE while Redis cannot be reached and no local token or refusal answers (see `bucket`). */
  async take(subject: string, limit: RateLimitSpec): Promise<RateDecision> {
    const largest = this.largestLease(limit)
    if (largest <= 1) return this.takeOne(subject, limit)
    for (;;) {
      const lease = this.leaseOf(subject)
      if (lease === undefined) return this.takeOne(subject, limit)
      const now = this.clock()
      const local = this.spend(lease, largest, now)
      if (local !== undefined) return local
      if (lease.pending === undefined) {
        let refused: RateDecision | undefined
        lease.pending = this.renew(subject, lease, limit, largest, now).then((decision) => {
          refused = decision
        })
        await lease.pending.finally(() => {
          lease.pending = undefined
        })
        if (refused !== undefined) return refused
      } else {
        await lease.pending
      }
    }
  }

  private spend(lease: Lease, largest: number, now: number): RateDecision | undefined {
    if (lease.tokens > 0 && now < lease.expiresAt) {
      lease.tokens--
      // Spent before it expired: the next one may be larger.
      if (lease.tokens === 0) lease.size = Math.min(largest, lease.size * 2)
      return { allowed: true, remaining: lease.remote + lease.tokens, retryAfterMs: 0 }
    }
    if (now < lease.refusedUntil) return { allowed: false, remaining: 0, retryAfterMs: lease.refusedUntil - now }
    return undefined
  }

  /** Asks Redis for the next lease, handing back what the last one left unspent; a refusal is answered as it is. */
  private async renew(subject: string, lease: Lease, limit: RateLimitSpec, largest: number, now: number): Promise<RateDecision | undefined> {
    const returned = lease.tokens
    if (returned > 0) lease.size = Math.max(1, Math.ceil(lease.size / 2))
    lease.tokens = 0
    const want = Math.min(largest, lease.size)
    const [granted, remaining, retry] = await this.bucket(subject, limit, now, want, returned)
    if (granted === 0) {
      lease.refusedUntil = now + retry
      return { allowed: false, remaining: 0, retryAfterMs: retry }
    }
    lease.tokens = granted
    lease.remote = remaining
    lease.expiresAt = now + this.leaseMs
    return undefined
  }

  private leaseOf(subject: string): Lease | undefined {
    let lease = this.leases.get(subject)
    if (lease !== undefined) return lease
    if (this.leases.size >= this.maxSubjects && !this.sweep()) return undefined
    lease = { tokens: 0, expiresAt: 0, remote: 0, size: 1, pending: undefined, refusedUntil: 0 }
    this.leases.set(subject, lease)
    return lease
  }

  /** Forgets leases that expired with nothing left to hand back; says whether room was made. */
  private sweep(): boolean {
    const now = this.clock()
    for (const [subject, lease] of this.leases) {
      if (lease.pending === undefined && (lease.tokens === 0 || now >= lease.expiresAt + this.leaseMs)) this.leases.delete(subject)
    }
    return this.leases.size < this.maxSubjects
  }

  private largestLease(limit: RateLimitSpec): number {
    return Math.max(1, Math.min(Math.floor((limit.perSecond * this.leaseMs) / 1000), Math.floor(limit.burst / 10), 1_000))
  }

  private async takeOne(subject: string, limit: RateLimitSpec): Promise<RateDecision> {
    const [granted, remaining, retry] = await this.bucket(subject, limit, this.clock(), 1, 0)
    return { allowed: granted === 1, remaining, retryAfterMs: retry }
  }

  /**
   * The one call to Redis (a lease or a single token). Throws E_RATE_LIMIT_UNAVAILABLE (503 with Retry-After) while
   * Redis cannot be reached (a failover answers READONLY, a lost primary MaxRetriesPerRequestError): a request that
   * could not be counted is refused, not let through, and the caller learns it is temporary. Tokens a failed renewal
   * was handing back are lost (fewer requests pass, never more). The detail keeps Redis' own words out (they are in
   * `cause`, which is logged); any other error (a script bug) is passed through.
   */
  private async bucket(subject: string, limit: RateLimitSpec, now: number, want: number, returned: number): Promise<[number, number, number]> {
    try {
      return await this.redis.strataTokenBucket(this.keyOf(subject), limit.perSecond, limit.burst, now, want, returned)
    } catch (error) {
      if (!isRedisUnavailable(error)) throw error
      throw new StrataError('E_RATE_LIMIT_UNAVAILABLE', 'Rate limits cannot be checked: their Redis cannot be reached (a failover or a restart); retry shortly', {
        cause: error,
        context: { retryAfterMs: UNAVAILABLE_RETRY_AFTER_MS },
      })
    }
  }

  private keyOf(subject: string): string {
    return `${this.prefix}:{${subject}}`
  }
}
