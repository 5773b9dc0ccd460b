import type { PolicyKey } from './eviction-policy.js'

/**
 * A seeded 32-bit hash of a cache key for the frequency sketch. Strings go through FNV-1a over their UTF-16 code
 * units, numbers through their two 32-bit halves; both end in a murmur-style finaliser so that the low bits (the
 * sketch's block index) depend on every input bit. The seed is random per policy, so an attacker who does not know
 * it cannot precompute keys that collide in the sketch (hash flooding).
 */
export function hashKey(key: PolicyKey, seed: number): number {
  let h: number
  if (typeof key === 'string') {
    h = (seed ^ 0x811c9dc5) | 0
    for (let i = 0; i < key.length; i++) {
      h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
    }
  } else {
    const low = key | 0
    const high = (key / 0x1_0000_0000) | 0
    h = Math.imul(low ^ seed, 0x9e3779b1) ^ Math.imul(high, 0x85ebca77)
  }
  return spread(h)
}

/** A finaliser (the one Caffeine applies to `hashCode()`): avalanches every bit into every other. */
export function spread(x: number): number {
  x ^= x >>> 17
  x = Math.imul(x, 0xed5ad4bb)
  x ^= x >>> 11
  x = Math.imul(x, 0xac4c1b51)
  x ^= x >>> 15
  return x | 0
}

/** A per-instance seed from Math.random, for callers that want hash-flooding resistance over reproducibility. */
export function randomSeed(): number {
  return (Math.random() * 0x1_0000_0000) | 0
}

/**
 * The default seed: derived from the budget, so that two caches configured alike replay a trace identically and a
 * user can reproduce a run. An attacker who knows the configuration can then aim keys at the sketch's counters; the
 * admission's 1-in-128 escape for warm candidates (w-tinylfu.ts) still keeps a flooded victim from freezing the cache,
 * and a caller who prefers unpredictability passes `seed: randomSeed()`.
 */
export function configurationSeed(options: { maximumWeight: number; maximumSize?: number }): number {
  return spread(hashKey(options.maximumWeight, 0x5eed) ^ Math.imul(hashKey(options.maximumSize ?? 0, 0x1234567), 0x9e3779b1))
}
