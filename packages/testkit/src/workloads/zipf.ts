/** splitmix32: a small, seedable PRNG (uniform floats in [0, 1)) so generated workloads are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed | 0
  return () => {
    state = (state + 0x9e3779b9) | 0
    let z = state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    z ^= z >>> 16
    return (z >>> 0) / 0x1_0000_0000
  }
}

export interface ZipfOptions {
  /** Number of distinct keys. */
  items: number
  /** Number of accesses to generate. */
  accesses: number
  /** The skew s: key of rank r is drawn with probability ∝ 1 / r^s. */
  exponent: number
  seed: number
}

/**
 * Zipf-distributed keys by inverse transform over the cumulative weights (binary search). Ranks are mapped to key ids
 * through a seeded permutation, so popularity is not correlated with the id.
 */
export function zipfKeys({ items, accesses, exponent, seed }: ZipfOptions): Int32Array {
  const random = seededRandom(seed)
  const cumulative = new Float64Array(items)
  let total = 0
  for (let rank = 0; rank < items; rank++) {
    total += 1 / (rank + 1) ** exponent
    cumulative[rank] = total
  }
  const permutation = new Int32Array(items)
  for (let i = 0; i < items; i++) permutation[i] = i
  for (let i = items - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const swap = permutation[i]!
    permutation[i] = permutation[j]!
    permutation[j] = swap
  }
  const keys = new Int32Array(accesses)
  for (let i = 0; i < accesses; i++) {
    const target = random() * total
    let low = 0
    let high = items - 1
    while (low < high) {
      const mid = (low + high) >>> 1
      if (cumulative[mid]! < target) low = mid + 1
      else high = mid
    }
    keys[i] = permutation[low]!
  }
  return keys
}

/** Keys 0…length−1 over and over: the pattern LRU loses completely when `length` exceeds the cache. */
export function loopKeys(length: number, accesses: number): Int32Array {
  const keys = new Int32Array(accesses)
  for (let i = 0; i < accesses; i++) keys[i] = i % length
  return keys
}

/**
 * Zipf traffic with one-off sequential scans spliced in: every `every` accesses, `scanLength` keys never seen before
 * (ids above the Zipf range). A scan-resistant policy keeps its hot set through them.
 */
export function zipfWithScans(zipf: ZipfOptions, every: number, scanLength: number): Int32Array {
  const base = zipfKeys(zipf)
  const scans = Math.floor(base.length / every)
  const keys = new Int32Array(base.length + scans * scanLength)
  let next = zipf.items
  let out = 0
  for (let i = 0; i < base.length; i++) {
    keys[out++] = base[i]!
    if ((i + 1) % every === 0) for (let s = 0; s < scanLength; s++) keys[out++] = next++
  }
  return keys
}
