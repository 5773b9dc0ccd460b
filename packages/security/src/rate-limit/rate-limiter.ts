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
  /**
   * The decision when this instance can make it alone, right now (in process, or from tokens already leased);
   * undefined: ask `take`. Lets the hot path skip a promise; a decision made here counts exactly like one of `take`.
   */
  takeLocal?(subject: string, limit: RateLimitSpec): RateDecision | undefined
}
