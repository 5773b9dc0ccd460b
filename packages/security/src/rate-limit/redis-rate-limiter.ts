import { readFileSync } from 'node:fs'
import type { Redis } from 'ioredis'
import type { RateLimitSpec } from '../access/principal.js'
import type { RateDecision, RateLimiter } from './rate-limiter.js'

const SCRIPT = readFileSync(new URL('./token-bucket.lua', import.meta.url), 'utf8')

/** The Redis commands this adapter uses: one script, loaded once and called by its SHA (ioredis defineCommand). */
type TokenBucketClient = Redis & { strataTokenBucket(key: string, rate: number, burst: number, now: number): Promise<[number, number, number]> }

/**
 * Rate limits shared by every gateway instance: one Redis hash per key, updated by a Lua token bucket. Times come
 * from the caller's clock (not Redis TIME) so tests can reason about them; instances' clocks only need to agree
 * roughly (a skew of s seconds lets at most s·rate extra requests through).
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: TokenBucketClient

  constructor(
    redis: Redis,
    private readonly prefix = 'strata:ratelimit',
    private readonly clock: () => number = Date.now,
  ) {
    if (typeof (redis as unknown as Partial<TokenBucketClient>).strataTokenBucket !== 'function') {
      redis.defineCommand('strataTokenBucket', { numberOfKeys: 1, lua: SCRIPT })
    }
    this.redis = redis as unknown as TokenBucketClient
  }

  async take(subject: string, limit: RateLimitSpec): Promise<RateDecision> {
    const [allowed, remaining, retry] = await this.redis.strataTokenBucket(`${this.prefix}:{${subject}}`, limit.perSecond, limit.burst, this.clock())
    return { allowed: allowed === 1, remaining, retryAfterMs: retry }
  }
}
