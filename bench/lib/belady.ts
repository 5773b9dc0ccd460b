/**
 * Belády's optimal hit ratio (%) for a cache of `capacity` unit-size entries, in the variant where a new key may
 * bypass the cache: on a miss with a full cache, the resident key used farthest in the future is evicted, unless the
 * new key's next use is farther still, in which case the new key is not cached. Computed offline from next-use
 * indexes with a max-heap (lazy deletion), O(n log n) for n accesses.
 */
export function beladyHitRatio(keys: Int32Array, distinct: number, capacity: number): number {
  const n = keys.length
  if (n === 0) return 0
  const nextUse = new Int32Array(n)
  const seen = new Int32Array(distinct).fill(n)
  for (let i = n - 1; i >= 0; i--) {
    const key = keys[i]!
    nextUse[i] = seen[key]!
    seen[key] = i
  }

  // resident[key] = the key's next use while it is cached, −1 otherwise; a heap entry is live iff it matches.
  const resident = new Int32Array(distinct).fill(-1)
  const heap = new MaxHeap(Math.min(n, 1 << 20))
  let size = 0
  let hits = 0
  for (let i = 0; i < n; i++) {
    const key = keys[i]!
    const next = nextUse[i]!
    if (resident[key]! >= 0) {
      hits++
      resident[key] = next
      heap.push(next, key)
      continue
    }
    if (size < capacity) {
      size++
      resident[key] = next
      heap.push(next, key)
      continue
    }
    while (resident[heap.topKey()] !== heap.topPriority()) heap.pop()
    if (next >= heap.topPriority()) continue
    resident[heap.topKey()] = -1
    heap.pop()
    resident[key] = next
    heap.push(next, key)
  }
  return (100 * hits) / n
}

/** A binary max-heap of (priority, key) int pairs in growable typed arrays. */
class MaxHeap {
  private priorities: Int32Array
  private keys: Int32Array
  private length = 0

  constructor(initialCapacity: number) {
    this.priorities = new Int32Array(Math.max(16, initialCapacity))
    this.keys = new Int32Array(Math.max(16, initialCapacity))
  }

  topPriority(): number {
    return this.priorities[0]!
  }

  topKey(): number {
    return this.keys[0]!
  }

  push(priority: number, key: number): void {
    if (this.length === this.priorities.length) this.grow()
    const priorities = this.priorities
    const keys = this.keys
    let i = this.length++
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (priorities[parent]! >= priority) break
      priorities[i] = priorities[parent]!
      keys[i] = keys[parent]!
      i = parent
    }
    priorities[i] = priority
    keys[i] = key
  }

  pop(): void {
    const last = --this.length
    if (last === 0) return
    const priorities = this.priorities
    const keys = this.keys
    const priority = priorities[last]!
    const key = keys[last]!
    let i = 0
    for (;;) {
      let child = 2 * i + 1
      if (child >= last) break
      if (child + 1 < last && priorities[child + 1]! > priorities[child]!) child++
      if (priorities[child]! <= priority) break
      priorities[i] = priorities[child]!
      keys[i] = keys[child]!
      i = child
    }
    priorities[i] = priority
    keys[i] = key
  }

  private grow(): void {
    const priorities = new Int32Array(this.priorities.length * 2)
    priorities.set(this.priorities)
    this.priorities = priorities
    const keys = new Int32Array(this.keys.length * 2)
    keys.set(this.keys)
    this.keys = keys
  }
}

/**
 * Belády's rule on a byte budget, as the offline reference for caches bounded by bytes: on a miss the resident keys
 * used farthest in the future leave until the new one fits, unless the new key's next use is farther than theirs
 * (then it bypasses the cache). With variable sizes this is not the exact optimum (which is NP-hard; Berger et al.'s
 * FOO bounds it by a flow relaxation), but it is the customary offline reference and stands well above online policies.
 * `sizes[key]` is each key's size; keys heavier than the budget always miss. Returns the hit ratio in %.
 */
export function beladySizedHitRatio(keys: Int32Array, distinct: number, sizes: Int32Array, budget: number): number {
  const n = keys.length
  if (n === 0) return 0
  const nextUse = new Int32Array(n)
  const seen = new Int32Array(distinct).fill(n)
  for (let i = n - 1; i >= 0; i--) {
    const key = keys[i]!
    nextUse[i] = seen[key]!
    seen[key] = i
  }
  const resident = new Int32Array(distinct).fill(-1)
  const heap = new MaxHeap(Math.min(n, 1 << 20))
  let used = 0
  let hits = 0
  for (let i = 0; i < n; i++) {
    const key = keys[i]!
    const next = nextUse[i]!
    if (resident[key]! >= 0) {
      hits++
      resident[key] = next
      heap.push(next, key)
      continue
    }
    const size = sizes[key]!
    if (size > budget || next === n) continue
    // Evict farthest-first while the newcomer does not fit and is needed sooner than the farthest resident.
    while (used + size > budget) {
      while (resident[heap.topKey()] !== heap.topPriority()) heap.pop()
      if (heap.topPriority() <= next) break
      const victim = heap.topKey()
      resident[victim] = -1
      used -= sizes[victim]!
      heap.pop()
    }
    if (used + size > budget) continue
    used += size
    resident[key] = next
    heap.push(next, key)
  }
  return (100 * hits) / n
}
