/** Keys a policy can order: the L1 tier uses strings, simulators may use integer trace keys. */
export type PolicyKey = string | number

/**
 * The per-entry record a policy links into its queues. The tier's entry class extends it, so a policy touches an
 * entry through the object the tier already holds: a hit costs no second hash lookup and no re-hash of the key.
 * Every field but `key` and `weight` is owned by the policy; the tier sets `weight` only before `onInsert`.
 */
export class PolicyNode {
  /** Links in the policy's current queue. Policy-private. */
  prev: PolicyNode | null = null
  next: PolicyNode | null = null
  /** Which queue holds the node: 0 when not resident. Policy-private. */
  queue = 0
  /** The key's hash as the policy's sketch spreads it, computed once on insert. Policy-private. */
  hash = 0
  /** The sketch epoch in which this key's counters were all found saturated (hits may skip them). Policy-private. */
  saturatedEpoch = 0

  constructor(
    /** Set by the tier (which may reuse a node object for another key once the policy has let go of it). */
    public key: PolicyKey,
    /** The cost in the policy's budget unit (1 when bounding by count, bytes when bounding by bytes); at least 1. */
    public weight: number,
  ) {}
}

/**
 * Decides which resident entry leaves the L1 when it is over budget, and whether a new entry is worth admitting.
 * The tier owns the entries; a policy only orders them. Every method is O(1) amortised: it runs on every access.
 *
 * Evictions are reported through `EvictionPolicyOptions.onEvict` while a call runs, so the tier can drop them
 * without the allocation of a result array per insert; the policy's own state is consistent before each report.
 */
export interface EvictionPolicy<N extends PolicyNode = PolicyNode> {
  readonly name: string
  /** A resident node was read. */
  onHit(node: N): void
  /** A key was looked up and not found (a frequency sketch counts these too). */
  onMiss(key: PolicyKey): void
  /**
   * A new node wants to become resident with `node.weight`. Returns false when it is not resident afterwards:
   * heavier than the budget (then nothing is reported), or evicted at once by admission (reported to `onEvict`
   * like any other eviction, as Caffeine does).
   */
  onInsert(node: N): boolean
  /**
   * A resident node's value was replaced and now weighs `weight` (counts as an access). Returns false when the node
   * itself was evicted by the resulting adjustment (it is reported to `onEvict`).
   */
  onUpdate(node: N, weight: number): boolean
  /** A resident node left for another reason (delete, expiry). */
  onRemove(node: N): void
  /** Forget every node (a frequency history may be kept). */
  clear(): void
  /** Resident entries. */
  readonly size: number
  /** Sum of resident weights. */
  readonly weightedSize: number
}

export interface EvictionPolicyOptions<N extends PolicyNode = PolicyNode> {
  /** Upper bound on the sum of weights (entry count when every weight is 1, bytes when weights are sizes). */
  maximumWeight: number
  /**
   * An optional second bound on the number of entries, for a tier bounded by bytes and by count at once. Both hold;
   * the window/protected split is kept in weight and applied to the count in proportion.
   */
  maximumSize?: number
  /** Called for each resident node the policy evicts to stay within budget, after its own state is consistent. */
  onEvict: (node: N) => void
  /** Seeds the key hash and the admission's random tie-break; random per instance by default (hash flooding). */
  seed?: number
}

export type EvictionPolicyName = 'w-tinylfu' | 'lru'
