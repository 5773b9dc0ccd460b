import type { RateLimitSpec } from '../access/principal.js'

export interface RateDecision {
  allowed: boolean
  /** Tokens left after this request. */
  remaining: number
  /** When refused: how long until one token is back, ms. */
  retryAfterMs: number
}

/** A token bucket per subject (an API key id). Adapter: Redis (shared by every instance); in-memory for one process. */
export interface RateLimiter {
  take(subject: string, limit: RateLimitSpec): Promise<RateDecision>
}
