import { describe, expect, it } from 'vitest'
import { resolveRetry, retryDelay } from './retry-policy.js'

describe('retryDelay', () => {
  const policy = resolveRetry({ attempts: 10, baseMs: 100, maxMs: 1000, jitter: 0.5 })

  it('doubles per attempt up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(policy, n, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000])
  })

  it('keeps at least the fixed part of the delay, whatever the jitter draws', () => {
    expect(retryDelay(policy, 3, () => 0)).toBe(200)
    for (let i = 0; i < 100; i++) {
      const delay = retryDelay(policy, 3)
      expect(delay).toBeGreaterThanOrEqual(200)
      expect(delay).toBeLessThanOrEqual(400)
    }
  })

  it('refuses impossible policies', () => {
    expect(() => resolveRetry({ attempts: 0 })).toThrow(RangeError)
    expect(() => resolveRetry({ baseMs: 10, maxMs: 5 })).toThrow(RangeError)
    expect(() => resolveRetry({ jitter: 2 })).toThrow(RangeError)
  })
})
