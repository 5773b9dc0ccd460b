import type { RateLimitSpec } from '../access/principal.js'
import type { RateDecision, RateLimiter } from './rate-limiter.js'

/** The same token bucket as the Redis script, in process: for a single instance (the embedded default). */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(private readonly clock: () => number = Date.now) {}

  take(subject: string, limit: RateLimitSpec): Promise<RateDecision> {
    return Promise.resolve(this.takeLocal(subject, limit))
  }

  takeLocal(subject: string, limit: RateLimitSpec): RateDecision {
    const now = this.clock()
    const bucket = this.buckets.get(subject) ?? { tokens: limit.burst, at: now }
    bucket.tokens = Math.min(limit.burst, bucket.tokens + (Math.max(0, now - bucket.at) * limit.perSecond) / 1000)
    bucket.at = now
    this.buckets.set(subject, bucket)
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterMs: 0 }
    }
    return { allowed: false, remaining: 0, retryAfterMs: Math.ceil(((1 - bucket.tokens) * 1000) / limit.perSecond) }
  }
}
