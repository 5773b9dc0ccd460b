/**
 * Decides which resident key leaves the L1 when it is over budget, and whether a new key is worth admitting.
 * The tier owns the entries; a policy only orders keys. Every method must be O(1) amortised: it runs on every hit.
 *
 * Weights let the tier bound by bytes as well as by count: a policy keeps the sum of resident weights at or below
 * `maximumWeight` and reports what it evicted so the tier can drop those entries.
 */
export interface EvictionPolicy<K> {
  readonly name: string
  /** A resident key was read. */
  onHit(key: K): void
  /** A key was looked up and not found (policies with a frequency sketch count these too). */
  onMiss(key: K): void
  /**
   * A new key wants to become resident with `weight`. Returns the keys evicted to make room. The new key itself may
   * appear in the result when the policy rejects it (admission); the tier must then not keep it.
   */
  onInsert(key: K, weight: number): K[]
  /** A resident key's weight changed (value replaced). Returns keys evicted to stay within the budget. */
  onUpdate(key: K, weight: number): K[]
  /** A resident key left for another reason (delete, expiry). */
  onRemove(key: K): void
  /** Forget everything. */
  clear(): void
  readonly size: number
  readonly weightedSize: number
}

export interface EvictionPolicyOptions {
  /** Upper bound on the sum of weights (entry count when every weight is 1, bytes when weights are sizes). */
  maximumWeight: number
}

export type EvictionPolicyName = 'w-tinylfu' | 'lru'
