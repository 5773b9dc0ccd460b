import { FrequencySketch } from './frequency-sketch.js'

const WINDOW = 1
const PROBATION = 2
const PROTECTED = 3
const NONE = -1

/**
 * Periods whose misses are only taken as the baseline: the miniatures start cold (empty, the sketch without history)
 * and their first period is a transient the real cache, larger and filled over more accesses, does not share. On P3
 * @80000 it favoured an 80% window for one period and cost two points of hit ratio.
 */
const WARM_UP_PERIODS = 1
/** Share of each miniature main space for its protected segment (as in the real policy). */
const PERCENT_MAIN_PROTECTED = 0.8

export interface MiniSimulationOptions {
  /** The real cache's budget in entries. */
  maximum: number
  /** The window shares to simulate, each in [0, 1], ascending. */
  percents: readonly number[]
  /** Entries of each miniature cache (the sampling rate is `miniSize / maximum`, at most 1). */
  miniSize: number
  /** The real cache's window share before the first decision (the nearest simulated share stands for it). */
  initialPercent: number
  /** Periods whose misses only set the baseline (WARM_UP_PERIODS by default). */
  warmUpPeriods?: number
  /** Weight of the past in the smoothed miss counts, per decision (0: only the last period counts). */
  decay: number
  /** A share replaces the current one only with fewer smoothed misses by this many standard deviations (√misses). */
  hysteresis: number
}

/**
 * Miniature simulations (Waldspurger, Saemundsson, Ahmad & Park, "Cache Modeling and Optimization using Miniature
 * Simulations", USENIX ATC 2017), as Caffeine's simulator applies them to W-TinyLFU (MiniSimClimber; Einziger, Eytan,
 * Friedman & Manes, "Adaptive Software Cache Management", Middleware 2018).
 *
 * A key is sampled when its spread hash, remixed, falls under a threshold (SHARDS' spatial sampling): a fixed share
 * R of the keys, and every access to them. Several W-TinyLFU caches of R × maximum entries, one per window share,
 * replay the sampled accesses; their miss counts estimate what the real cache would miss at each window share.
 * The cost is paid on sampled accesses only: one lookup and one sketch increment shared by all the miniatures, then
 * a few list operations per miniature.
 *
 * Layout: records (one per key resident in at least one miniature) are indexes into typed arrays, found through an
 * open-addressing table keyed by the hash; each miniature has its own links and queue per record. Nothing is
 * allocated per access. Entries are unit-sized (the real policy uses the simulation only while every weight is 1).
 */
export class MiniSimulation {
  /** Unsigned 32-bit threshold on the remixed hash below which a key is sampled (2^32 samples every key). */
  readonly threshold: number
  /** Entries of each miniature cache. */
  readonly size: number
  readonly percents: readonly number[]
  /** Misses of each miniature since it was created. */
  readonly misses: Float64Array
  /** Sampled accesses since the simulation was created. */
  accesses = 0
  /** Index of the share the real cache runs with (the last decision). */
  current: number

  private decisions = 0
  private readonly warmUpPeriods: number
  private readonly decay: number
  private readonly hysteresis: number
  /** Misses at the last decision, and the smoothed misses per period since. */
  private readonly missesAtDecision: Float64Array
  private readonly smoothedMisses: Float64Array

  private readonly sketch = new FrequencySketch()
  private readonly caches: number
  /** Record capacity: every miniature full of distinct keys, plus one in flight. */
  private readonly records: number
  private readonly keys: Int32Array
  private readonly refs: Uint8Array
  private freeHead = 0
  private readonly table: Int32Array
  private readonly tableMask: number

  // Per miniature × record (index cache * records + id).
  private readonly prev: Int32Array
  private readonly next: Int32Array
  private readonly queue: Uint8Array
  // Per miniature × queue (index cache * 4 + queue).
  private readonly heads: Int32Array
  private readonly tails: Int32Array
  private readonly counts: Int32Array
  private readonly windowMaximum: Int32Array
  private readonly protectedMaximum: Int32Array

  constructor(options: MiniSimulationOptions) {
    const maximum = Math.max(1, Math.floor(options.maximum))
    const rate = Math.min(1, options.miniSize / maximum)
    this.threshold = rate >= 1 ? 0x1_0000_0000 : Math.floor(rate * 0x1_0000_0000)
    this.size = Math.max(1, Math.round(maximum * rate))
    this.percents = [...options.percents]
    const caches = (this.caches = this.percents.length)
    this.misses = new Float64Array(caches)
    this.missesAtDecision = new Float64Array(caches)
    this.smoothedMisses = new Float64Array(caches)
    this.decay = options.decay
    this.warmUpPeriods = options.warmUpPeriods ?? WARM_UP_PERIODS
    this.hysteresis = options.hysteresis
    let current = 0
    for (let c = 1; c < caches; c++) {
      if (Math.abs(this.percents[c]! - options.initialPercent) < Math.abs(this.percents[current]! - options.initialPercent)) {
        current = c
      }
    }
    this.current = current
    this.windowMaximum = new Int32Array(caches)
    this.protectedMaximum = new Int32Array(caches)
    for (let c = 0; c < caches; c++) {
      const window = Math.min(this.size, Math.max(1, Math.round(this.percents[c]! * this.size)))
      this.windowMaximum[c] = window
      this.protectedMaximum[c] = Math.floor(PERCENT_MAIN_PROTECTED * (this.size - window))
    }

    const records = (this.records = caches * this.size + 1)
    this.keys = new Int32Array(records)
    this.refs = new Uint8Array(records)
    // The free list threads through `next` of cache 0's slots.
    this.prev = new Int32Array(caches * records).fill(NONE)
    this.next = new Int32Array(caches * records).fill(NONE)
    for (let id = 0; id < records; id++) this.next[id] = id + 1 < records ? id + 1 : NONE
    this.queue = new Uint8Array(caches * records)
    this.heads = new Int32Array(caches * 4).fill(NONE)
    this.tails = new Int32Array(caches * 4).fill(NONE)
    this.counts = new Int32Array(caches * 4)
    let capacity = 2
    while (capacity < 2 * records) capacity *= 2
    this.table = new Int32Array(capacity)
    this.tableMask = capacity - 1
    this.sketch.ensureCapacity(this.size)
  }

  /** Whether accesses to the key with this spread hash are simulated. */
  isSampled(hash: number): boolean {
    return sampleHash(hash) < this.threshold
  }

  /** Replays one access to a sampled key (the caller checks `isSampled`) in every miniature. */
  record(hash: number): void {
    this.accesses++
    this.sketch.increment(hash)
    let id = this.find(hash)
    if (id === NONE) id = this.allocate(hash)
    const records = this.records
    for (let c = 0; c < this.caches; c++) {
      const slot = c * records + id
      const queue = this.queue[slot]!
      if (queue === WINDOW) {
        this.moveToLast(c, WINDOW, id)
      } else if (queue === PROBATION) {
        this.unlinkFrom(c, PROBATION, id)
        this.linkLast(c, PROTECTED, id)
        if (this.counts[c * 4 + PROTECTED]! > this.protectedMaximum[c]!) {
          const demoted = this.heads[c * 4 + PROTECTED]!
          this.unlinkFrom(c, PROTECTED, demoted)
          this.linkLast(c, PROBATION, demoted)
        }
      } else if (queue === PROTECTED) {
        this.moveToLast(c, PROTECTED, id)
      } else {
        this.misses[c] = this.misses[c]! + 1
        this.refs[id] = this.refs[id]! + 1
        this.linkLast(c, WINDOW, id)
        this.evict(c)
      }
    }
  }

  /**
   * Ends a period (the first only sets the baseline, see WARM_UP_PERIODS): smooths each miniature's misses in it (an exponentially weighted sum) and returns the window share
   * with the fewest, unless it does not beat the current share by `hysteresis` standard deviations (a Poisson count's
   * √n): then the current share stays. Miniatures see the same accesses, so their difference is mostly signal, but a
   * short period with few misses is noise, and a move costs the entries it reshuffles.
   */
  decide(): number {
    const smoothed = this.smoothedMisses
    if (this.decisions++ < this.warmUpPeriods) {
      this.missesAtDecision.set(this.misses)
      return this.percents[this.current]!
    }
    let best = 0
    for (let c = 0; c < this.caches; c++) {
      smoothed[c] = this.decay * smoothed[c]! + (this.misses[c]! - this.missesAtDecision[c]!)
      this.missesAtDecision[c] = this.misses[c]!
      if (smoothed[c]! < smoothed[best]!) best = c
    }
    const current = this.current
    if (smoothed[current]! - smoothed[best]! > this.hysteresis * Math.sqrt(smoothed[current]!)) this.current = best
    return this.percents[this.current]!
  }

  /** Frequency of a hash in the shared sketch (for tests). */
  frequency(hash: number): number {
    return this.sketch.frequency(hash)
  }

  /** Entries resident in miniature `cache` (for tests). */
  residentCount(cache: number): number {
    return this.counts[cache * 4 + WINDOW]! + this.counts[cache * 4 + PROBATION]! + this.counts[cache * 4 + PROTECTED]!
  }

  /** Whether the hash is resident in miniature `cache` (for tests). */
  contains(cache: number, hash: number): boolean {
    const id = this.find(hash)
    return id !== NONE && this.queue[cache * this.records + id]! !== 0
  }

  /** Distinct keys resident in some miniature (for tests). */
  get liveRecords(): number {
    let live = 0
    for (let id = 0; id < this.records; id++) if (this.refs[id]! > 0) live++
    return live
  }

  /** W-TinyLFU's eviction in one miniature after an insert into its window. */
  private evict(c: number): void {
    const base = c * 4
    if (this.counts[base + WINDOW]! <= this.windowMaximum[c]!) return
    const candidate = this.heads[base + WINDOW]!
    this.unlinkFrom(c, WINDOW, candidate)
    this.linkLast(c, PROBATION, candidate)
    if (this.counts[base + WINDOW]! + this.counts[base + PROBATION]! + this.counts[base + PROTECTED]! <= this.size) {
      return
    }
    const victim = this.heads[base + PROBATION]!
    const evicted =
      victim !== candidate && this.sketch.frequency(this.keys[candidate]!) > this.sketch.frequency(this.keys[victim]!)
        ? victim
        : candidate
    this.unlinkFrom(c, PROBATION, evicted)
    this.queue[c * this.records + evicted] = 0
    const refs = this.refs[evicted]! - 1
    this.refs[evicted] = refs
    if (refs === 0) this.release(evicted)
  }

  private moveToLast(c: number, queue: number, id: number): void {
    if (this.tails[c * 4 + queue] === id) return
    this.unlinkFrom(c, queue, id)
    this.linkLast(c, queue, id)
  }

  private linkLast(c: number, queue: number, id: number): void {
    const records = this.records
    const slot = c * records + id
    const q = c * 4 + queue
    const tail = this.tails[q]!
    this.prev[slot] = tail
    this.next[slot] = NONE
    if (tail === NONE) this.heads[q] = id
    else this.next[c * records + tail] = id
    this.tails[q] = id
    this.queue[slot] = queue
    this.counts[q] = this.counts[q]! + 1
  }

  private unlinkFrom(c: number, queue: number, id: number): void {
    const records = this.records
    const slot = c * records + id
    const q = c * 4 + queue
    const prev = this.prev[slot]!
    const next = this.next[slot]!
    if (prev === NONE) this.heads[q] = next
    else this.next[c * records + prev] = next
    if (next === NONE) this.tails[q] = prev
    else this.prev[c * records + next] = prev
    this.counts[q] = this.counts[q]! - 1
  }

  /** The record of a hash, or NONE. Table slots hold id + 1 (0 is empty); linear probing. */
  private find(hash: number): number {
    const mask = this.tableMask
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const entry = this.table[i]!
      if (entry === 0) return NONE
      if (this.keys[entry - 1] === hash) return entry - 1
    }
  }

  private allocate(hash: number): number {
    const id = this.freeHead
    // A record leaves only when no miniature holds it, and each holds at most `size`: the list never runs dry.
    this.freeHead = this.next[id]!
    this.next[id] = NONE
    this.keys[id] = hash
    const mask = this.tableMask
    let i = hash & mask
    while (this.table[i] !== 0) i = (i + 1) & mask
    this.table[i] = id + 1
    return id
  }

  /** Frees a record no miniature holds: out of the table (backward-shift deletion), onto the free list. */
  private release(id: number): void {
    const mask = this.tableMask
    const table = this.table
    let i = this.keys[id]! & mask
    while (table[i] !== id + 1) i = (i + 1) & mask
    // Shift later entries of the probe run back into the hole when their home slot allows it.
    for (let j = (i + 1) & mask; table[j] !== 0; j = (j + 1) & mask) {
      const home = this.keys[table[j]! - 1]! & mask
      // The entry at j may move to i when its home is not cyclically within (i, j].
      if (((j - home) & mask) >= ((j - i) & mask)) {
        table[i] = table[j]!
        i = j
      }
    }
    table[i] = 0
    this.next[id] = this.freeHead
    this.freeHead = id
  }
}

/** The remix behind the sampling decision: independent of the bits the frequency sketch indexes by. */
export function sampleHash(hash: number): number {
  return Math.imul(hash ^ (hash >>> 16), 0x45d9f3b) >>> 0
}
