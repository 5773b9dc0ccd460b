import type { HeavyHitter } from '@strata/api'

export interface SpaceSavingState {
  capacity: number
  total: number
  entries: Array<[key: string, count: number, error: number]>
}

/**
 * Top-K by the Space-Saving algorithm (Metwally, Agrawal, El Abbadi 2005): `capacity` counters; an unseen key takes
 * over the smallest counter and inherits its count as error. Any key occurring more than N / capacity times is
 * guaranteed to be held. The counters form a min-heap, so each offer is O(log capacity), not a scan for the minimum.
 */
export class SpaceSaving {
  private readonly keys: string[] = []
  private readonly counts: number[] = []
  private readonly errors: number[] = []
  private readonly index = new Map<string, number>()
  total = 0

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`SpaceSaving capacity must be a positive integer, got ${capacity}`)
  }

  offer(key: string, weight = 1): void {
    this.total += weight
    const at = this.index.get(key)
    if (at !== undefined) {
      this.counts[at]! += weight
      this.siftDown(at)
      return
    }
    if (this.keys.length < this.capacity) {
      this.keys.push(key)
      this.counts.push(weight)
      this.errors.push(0)
      this.index.set(key, this.keys.length - 1)
      this.siftUp(this.keys.length - 1)
      return
    }
    const min = this.counts[0]!
    this.index.delete(this.keys[0]!)
    this.keys[0] = key
    this.counts[0] = min + weight
    this.errors[0] = min
    this.index.set(key, 0)
    this.siftDown(0)
  }

  /** The `k` largest counters, largest first. */
  top(k: number): HeavyHitter[] {
    return this.keys
      .map((key, i) => ({ key, count: this.counts[i]!, error: this.errors[i]! }))
      .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
      .slice(0, k)
  }

  /** Everything needed to rebuild the sketch (stored with the rollups, so hot keys survive a restart). */
  toJSON(): SpaceSavingState {
    return { capacity: this.capacity, total: this.total, entries: this.keys.map((key, i) => [key, this.counts[i]!, this.errors[i]!]) }
  }

  static fromJSON(state: SpaceSavingState): SpaceSaving {
    const sketch = new SpaceSaving(state.capacity)
    sketch.total = state.total
    for (const [key, count, error] of state.entries.slice(0, state.capacity)) {
      sketch.keys.push(key)
      sketch.counts.push(count)
      sketch.errors.push(error)
      sketch.index.set(key, sketch.keys.length - 1)
      sketch.siftUp(sketch.keys.length - 1)
    }
    return sketch
  }

  get size(): number {
    return this.keys.length
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (this.counts[parent]! <= this.counts[i]!) return
      this.swap(i, parent)
      i = parent
    }
  }

  private siftDown(i: number): void {
    const n = this.keys.length
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let smallest = i
      if (left < n && this.counts[left]! < this.counts[smallest]!) smallest = left
      if (right < n && this.counts[right]! < this.counts[smallest]!) smallest = right
      if (smallest === i) return
      this.swap(i, smallest)
      i = smallest
    }
  }

  private swap(a: number, b: number): void {
    const key = this.keys[a]!
    this.keys[a] = this.keys[b]!
    this.keys[b] = key
    const count = this.counts[a]!
    this.counts[a] = this.counts[b]!
    this.counts[b] = count
    const error = this.errors[a]!
    this.errors[a] = this.errors[b]!
    this.errors[b] = error
    this.index.set(this.keys[a], a)
    this.index.set(this.keys[b], b)
  }
}
