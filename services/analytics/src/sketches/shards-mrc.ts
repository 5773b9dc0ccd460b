import { hash32 } from './key-hash.js'
import type { MrcPoint } from '@strata/api'

export interface ShardsOptions {
  /** Most keys tracked; past it the sampling rate is lowered (fixed-size SHARDS). Default 16 384. */
  maxTracked?: number
  /** Starting sampling rate, 0..1. Default 1 (exact until the key space outgrows maxTracked). */
  initialRate?: number
}

const SPACE = 0x1_0000_0000
// Reuse distances are kept in logarithmic buckets 2% wide: sizes are asked for at arbitrary points, and a 2% size
// error moves a hit ratio far less than the sampling does.
const GROWTH = 1.02
const LOG_GROWTH = Math.log(GROWTH)
const BUCKETS = 2_400

/**
 * Miss-ratio curves online by SHARDS (Waldspurger et al., FAST '15): only keys whose hash falls under a threshold
 * T (rate R = T / 2^32) are tracked; their reuse distances, scaled by 1/R, estimate the whole stream's. A Fenwick tree
 * over logical time gives each reuse distance in O(log n). Fixed-size variant: when more than `maxTracked` keys are
 * tracked, T is lowered to keep ~90% of them and the histogram is rescaled by the rate ratio. SHARDS_adj: the
 * difference between the expected (N·R) and actual number of sampled references is credited to the smallest
 * distance, which corrects the bias a few very hot sampled (or unsampled) keys cause.
 *
 * The curve is for LRU. Strata's L1 is W-TinyLFU, which usually does better than LRU at the same size, so the
 * estimate is a conservative "at least this" for the L1, and close to what a Redis with allkeys-lru gives.
 */
export class ShardsMrc {
  private threshold: number
  private readonly maxTracked: number
  private readonly last = new Map<string, { time: number; hash: number }>()
  private tree = new Int32Array(1 << 12)
  private time = 0
  private readonly histogram = new Float64Array(BUCKETS)
  private sampled = 0
  private total = 0

  constructor(options: ShardsOptions = {}) {
    this.maxTracked = options.maxTracked ?? 16_384
    const rate = options.initialRate ?? 1
    if (!(rate > 0 && rate <= 1)) throw new RangeError(`SHARDS initialRate must be within (0, 1], got ${rate}`)
    this.threshold = Math.floor(rate * SPACE)
  }

  get rate(): number {
    return this.threshold / SPACE
  }

  get references(): number {
    return this.total
  }

  record(key: string): void {
    this.total++
    const hash = hash32(key)
    if (hash >= this.threshold) return
    this.sampled++
    if (this.time + 1 >= this.tree.length) this.compact()
    const now = ++this.time
    const previous = this.last.get(key)
    if (previous === undefined) {
      this.last.set(key, { time: now, hash })
      if (this.last.size > this.maxTracked) this.lowerRate()
    } else {
      const distinct = this.prefix(now - 1) - this.prefix(previous.time)
      this.add(previous.time, -1)
      previous.time = now
      this.histogram[bucketOf(distinct / this.rate)]! += 1
    }
    this.add(now, 1)
  }

  /** Estimated LRU hit ratio with a cache of `size` entries. */
  hitRatio(size: number): number {
    const expected = this.total * this.rate
    if (expected <= 0) return 0
    // SHARDS_adj: the sampled stream's shortfall (or excess) against N·R counts at the smallest distance.
    let hits = expected - this.sampled
    for (let b = 0; b < BUCKETS; b++) {
      if (upperOf(b) > size) break
      hits += this.histogram[b]!
    }
    return Math.min(1, Math.max(0, hits / expected))
  }

  curve(sizes: readonly number[]): MrcPoint[] {
    return sizes.map((size) => ({ size, hitRatio: this.hitRatio(size) }))
  }

  private lowerRate(): void {
    const hashes = [...this.last.values()].map((entry) => entry.hash).sort((a, b) => a - b)
    const keep = Math.floor(this.maxTracked * 0.9)
    const newThreshold = hashes[keep]!
    const ratio = newThreshold / this.threshold
    for (const [key, entry] of this.last) {
      if (entry.hash >= newThreshold) {
        this.add(entry.time, -1)
        this.last.delete(key)
      }
    }
    // Distances already recorded were scaled by the old rate; what they count is rescaled to the new one.
    for (let b = 0; b < BUCKETS; b++) this.histogram[b]! *= ratio
    this.sampled *= ratio
    this.threshold = newThreshold
  }

  /** Renumbers tracked keys by last access, 1..n, so logical time stays within the tree. */
  private compact(): void {
    const entries = [...this.last.values()].sort((a, b) => a.time - b.time)
    const size = Math.max(1 << 12, nextPowerOfTwo((entries.length + 1) * 4))
    this.tree = new Int32Array(size)
    entries.forEach((entry, i) => {
      entry.time = i + 1
      this.add(i + 1, 1)
    })
    this.time = entries.length
  }

  private add(index: number, delta: number): void {
    for (let i = index; i < this.tree.length; i += i & -i) this.tree[i]! += delta
  }

  private prefix(index: number): number {
    let sum = 0
    for (let i = index; i > 0; i -= i & -i) sum += this.tree[i]!
    return sum
  }
}

/** A reuse distance d hits an LRU cache of size C when d < C, i.e. d + 1 <= C. */
function bucketOf(distance: number): number {
  return Math.min(BUCKETS - 1, Math.floor(Math.log(distance + 1) / LOG_GROWTH))
}

/** The size from which every distance in bucket b hits (its upper edge). */
function upperOf(bucket: number): number {
  return GROWTH ** (bucket + 1)
}

function nextPowerOfTwo(n: number): number {
  let power = 1
  while (power < n) power *= 2
  return power
}
