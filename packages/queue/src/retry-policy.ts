/**
 * How a failed job is retried: `attempts` runs in all, waiting `baseMs * 2^(n-1)` capped at `maxMs` before run n+1,
 * with "equal jitter" (half the delay fixed, half random) so a fleet of workers retrying after one origin outage does
 * not hit it again in lockstep, while a delay never falls below half its nominal value.
 */
export interface RetryPolicy {
  attempts: number
  baseMs: number
  maxMs: number
  /** Fraction of the delay that is random, 0..1 (default 0.5). */
  jitter: number
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 20, baseMs: 250, maxMs: 10_000, jitter: 0.5 }

export function resolveRetry(retry: Partial<RetryPolicy> | undefined): RetryPolicy {
  const policy = { ...DEFAULT_RETRY, ...retry }
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) throw new RangeError(`attempts must be a positive integer, got ${policy.attempts}`)
  if (!(policy.baseMs >= 0) || !(policy.maxMs >= policy.baseMs)) throw new RangeError('retry delays need 0 <= baseMs <= maxMs')
  if (!(policy.jitter >= 0 && policy.jitter <= 1)) throw new RangeError('jitter must be within 0..1')
  return policy
}

/** The delay before the next run, after `attemptsMade` failed runs (1 after the first failure). */
export function retryDelay(policy: RetryPolicy, attemptsMade: number, random: () => number = Math.random): number {
  const nominal = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attemptsMade - 1))
  return Math.round(nominal * (1 - policy.jitter) + nominal * policy.jitter * random())
}
