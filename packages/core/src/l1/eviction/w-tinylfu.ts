import { AccessOrderDeque } from './access-order-deque.js'
import type { EvictionPolicy, EvictionPolicyOptions, PolicyKey, PolicyNode } from './eviction-policy.js'
import { FrequencySketch, MIN_SKETCH_ENTRIES } from './frequency-sketch.js'
import { configurationSeed, hashKey } from './key-hash.js'
import { MiniSimulation, sampleHash } from './mini-sim.js'
import { validateBudget } from './validate.js'

const WINDOW = 1
const PROBATION = 2
const PROTECTED = 3

/**
 * The window's initial share of the budget: all of it, so the policy starts as LRU. Before the first decision nothing
 * tells recency from frequency, and the two wrong starts cost very differently: a 1% window on a short recency-skewed
 * trace (a zigzag, a sliding window, a backward loop of 5 × the cache) lost 10–30 points to LRU before the miniatures
 * could move it, while starting as LRU costs frequency-skewed traces one pass of contents (gli, see the class comment).
 */
const INITIAL_WINDOW = 1
/** Share of the main space for its protected segment. */
const PERCENT_MAIN_PROTECTED = 0.8
/**
 * The window shares the miniature simulations try (see the class comment). 100% is LRU (an empty main space), which
 * recency-skewed workloads need: at the former 80% cap the policy stayed below LRU on zigzags and sliding windows.
 */
const MINI_SIM_PERCENTS: readonly number[] = [0.01, 0.1, 0.25, 0.5, 0.8, 1]
/** Entries of each miniature: the sampling rate is 128 / maximum (every key below 128 entries). */
const MINI_SIM_SIZE = 128
/**
 * A decision every maximum / 8 accesses (1/80 of the sketch's aging period). Short periods decide from the first
 * accesses on; the smoothing below keeps a memory of a few × maximum accesses so that short periods are not noise.
 */
const MINI_SIM_PERIOD = 0.0125
/** Each decision weighs the smoothed misses of the periods before by 0.97 (a memory of about 33 periods, 4 × maximum). */
const MINI_SIM_DECAY = 0.97
/** The window moves only to a share with fewer smoothed misses by one standard deviation (√misses). */
const MINI_SIM_HYSTERESIS = 1
/** At most this many nodes move between queues in one adjustment; the rest of the quota carries over. */
const QUEUE_TRANSFER_THRESHOLD = 1000
/**
 * Caffeine allocates the sketch once the cache is half full, so that a large cache that stays small never pays for
 * it. Up to this many entries (a sketch of at most 2 MiB) Strata allocates it at once instead: the frequencies seen
 * while the cache fills then count, which is worth several points of hit ratio on short traces (gli @1000: 42.6% lazy,
 * 50.6% eager) and keeps a hot set that was read while the cache filled.
 */
const EAGER_SKETCH_LIMIT = 1 << 17
/** A candidate this popular may win a lost duel at random (1 in 128): a hot-victim hash-flooding attack then fails. */
const ADMIT_HASHDOS_THRESHOLD = 6

/**
 * Adaptive W-TinyLFU, after Caffeine's BoundedLocalCache (Einziger, Eytan, Friedman & Manes, "Adaptive Software
 * Cache Management", Middleware 2018).
 *
 * New entries enter an LRU admission window. The window's overflow becomes a candidate for the main space, an SLRU
 * (probation, and a protected segment of 80%), and duels the main space's victim (probation's LRU end): the one the
 * frequency sketch has seen more often stays. Recency-skewed workloads want a large window (LRU-like), frequency-skewed
 * ones a small window (LFU-like); the window starts at 100% (LRU, see INITIAL_WINDOW) and is sized as follows.
 *
 * While every weight is 1 (a count budget), by miniature simulations (Waldspurger et al., "Cache Modeling and
 * Optimization using Miniature Simulations", USENIX ATC 2017; Caffeine's simulator has it as MiniSimClimber, and the
 * paper above compares it with hill climbing). A hash-sampled share of the keys (SHARDS: a key is in when its hash
 * falls under a threshold, 128 / maximum of the keys) is replayed through six W-TinyLFU caches of 128 entries, with
 * windows of 1, 10, 25, 50, 80 and 100% (the last is LRU). Every maximum / 8 accesses each one's misses go into an
 * exponentially weighted sum (decay 0.97: a memory of about 4 × maximum accesses, so a change of phase is followed
 * within a few), and the real window moves to the share with the fewest if it beats the current share by more than
 * one standard deviation (hysteresis against noise). There is no warm-up: every miniature starts as cold as the others,
 * and on short traces (5–20 × maximum) the first periods are a large part of the trace.
 *
 * What this costs and buys, measured on the public traces and the adversarial families of @strata/testkit (mean of
 * three seeds, `pnpm bench hit-ratio`): no cell more than 0.7 point below LRU (before: 45 of 56 generated cells more than
 * a point below, worst −30 on a zigzag of 5 × the cache); OLTP unchanged (25.6 @250, 41.4 @1000, 46.5 @2000); sprite
 * @1024 90.0 (LRU 90.73). gli loses the pass it runs as LRU before the miniatures move the window (11.7 @250 and 37.0
 * @1000, against 17.0 and 50.7 with a 1% start): a loop-like trace keeps what a small window admitted first, and the
 * LRU start admitted other keys.
 *
 * Why not Caffeine's hill climber, which this class used before: it compares the hit rate of one period with the
 * previous one, so it cannot tell a change of window from a change of workload, and on short or phased traces it
 * follows the noise (sprite @1024 oscillated between 6% and 19% windows: 85.7%). The miniatures compare every share on
 * the same accesses at once.
 *
 * The cost falls on sampled accesses only: one lookup and one sketch increment shared by the six miniatures, then a
 * few list operations in each (mini-sim.ts; about 100–200 ns). At 10,000 entries that is 1–2% of the accesses (more
 * when a hot key happens to be sampled); a cache of 128 entries or fewer simulates every access. A hot unsampled key's
 * hit still costs one epoch check for the sketch; a sampled key is never marked saturated, so the miniatures see all
 * of its accesses.
 *
 * Once weights are bytes (or a count bound is given besides the weight) the miniatures are built when the budget first
 * binds, for as many unit entries as are resident then, and their decision is applied as a share of the byte budget
 * (Caffeine's hill climber, used here before, fell up to 8 points below LRU on the byte-budget sweep; the unit
 * miniatures still miss some zigzags by several points, see `pnpm bench hit-ratio`). Evictions keep LRU order among
 * the entries a heavy insert pushes out of the window, so a 100% window is exactly LRU on a byte budget too.
 *
 * Sizes are in weight units (entry count when every weight is 1, bytes otherwise). With `maximumSize` set as well,
 * the count is bounded too and every segment's count limit follows its weight limit in proportion.
 */
export class WTinyLfuPolicy<N extends PolicyNode = PolicyNode> implements EvictionPolicy<N> {
  readonly name = 'w-tinylfu'

  private readonly window = new AccessOrderDeque<N>(WINDOW)
  private readonly probation = new AccessOrderDeque<N>(PROBATION)
  private readonly protectedDeque = new AccessOrderDeque<N>(PROTECTED)
  private readonly sketch = new FrequencySketch()
  /**
   * How the sketch is sized. By the budget while every weight is 1: allocated at once up to EAGER_SKETCH_LIMIT entries,
   * else when half full (Caffeine's rule). By the entry count once weights are bytes (or a count bound is given), from
   * the first insert on: the table grows at powers of two and the aging period (10 × entries) follows the count.
   */
  private sketchByCount: boolean
  private eagerSketch = false
  private readonly onEvict: (node: N) => void
  private readonly seed: number
  private random: number

  private readonly maximum: number
  private readonly maximumSize: number
  private windowMaximumWeight: number
  private protectedMaximumWeight: number
  private windowMaximumCount = Number.POSITIVE_INFINITY
  private protectedMaximumCount = Number.POSITIVE_INFINITY

  private totalWeight = 0
  private count = 0
  private windowWeight = 0
  private windowCount = 0
  private protectedWeight = 0
  private protectedCount = 0

  private sampleSize = Number.POSITIVE_INFINITY
  private hitsInSample = 0
  private missesInSample = 0
  private adjustment = 0

  /** The miniature simulations that choose the window; null on a byte budget until it first binds. */
  private miniSim: MiniSimulation | null = null
  /**
   * Weights are bytes (or a count bound is given): the miniatures, which model unit entries, are built once the budget
   * first binds, sized by the entries resident then, and choose the window's share of the byte budget.
   */
  private miniSimByCount = false
  /** `miniSim.threshold`, or 0 (nothing sampled) without one: read on every access. */
  private sampleThreshold = 0

  /** The last key reported missing: its insert right after is the same access, so it is counted once. */
  private lastMissKey: PolicyKey | undefined = undefined
  private lastMissHash = 0
  private lastMissCounted = false

  constructor(options: EvictionPolicyOptions<N>) {
    validateBudget(options)
    this.onEvict = options.onEvict
    this.seed = options.seed ?? configurationSeed(options)
    this.random = this.seed ^ 0x2545f491 || 1
    this.maximum = options.maximumWeight
    this.maximumSize = options.maximumSize ?? Number.POSITIVE_INFINITY
    const max = this.maximum
    this.windowMaximumWeight = Math.max(1, Math.round(INITIAL_WINDOW * max))
    this.protectedMaximumWeight = Math.floor(PERCENT_MAIN_PROTECTED * (max - this.windowMaximumWeight))
    this.updateCountMaxima()
    this.sketchByCount = options.maximumSize !== undefined
    this.miniSimByCount = this.sketchByCount
    if (!this.sketchByCount) this.startMiniSim(max, 0)
    if (this.sketchByCount || max <= EAGER_SKETCH_LIMIT) {
      this.eagerSketch = !this.sketchByCount
      this.ensureSketchCapacity()
    }
  }

  get size(): number {
    return this.count
  }

  get weightedSize(): number {
    return this.totalWeight
  }

  /** The admission window's current share of the budget, in weight units (moved by the miniature simulations). */
  get windowMaximum(): number {
    return this.windowMaximumWeight
  }

  /** The protected segment's current limit, in weight units. */
  get protectedMaximum(): number {
    return this.protectedMaximumWeight
  }

  /** The sketch's estimate of how often `key` was seen recently (0–15). */
  frequency(key: PolicyKey): number {
    return this.sketch.frequency(hashKey(key, this.seed))
  }

  onHit(node: N): void {
    // Kept small so the tier's `get` inlines it: the common hit (a protected entry, its counters saturated) is a few
    // loads and one list move; the window and probation cases go through `reorder`.
    // A hot key's four counters stay at 15 until the next aging: skipping them then changes nothing.
    if (node.saturatedEpoch !== this.sketch.epoch) this.countHit(node)
    if (node.queue === PROTECTED) this.protectedDeque.moveToLast(node)
    else if (!this.reorder(node)) return
    if (++this.hitsInSample + this.missesInSample >= this.sampleSize) this.climb()
  }

  /** A hit on a window or probation entry; false for a node that is not resident. */
  private reorder(node: N): boolean {
    const queue = node.queue
    if (queue === WINDOW) this.window.moveToLast(node)
    else if (queue === PROBATION) this.reorderProbation(node)
    else return false
    return true
  }

  /**
   * Counts a hit in the sketch and, for a sampled key, in the miniature simulations. A key whose four counters are
   * saturated is marked so that its hits skip this until the next aging, unless it is sampled: the miniatures must
   * see every access to a sampled key.
   */
  private countHit(node: N): void {
    const hash = node.hash
    const sketch = this.sketch
    if (sampleHash(hash) < this.sampleThreshold) {
      sketch.increment(hash)
      this.miniSim!.record(hash)
    } else if (sketch.increment(hash)) {
      node.saturatedEpoch = sketch.epoch
    }
  }

  onMiss(key: PolicyKey): void {
    const hash = hashKey(key, this.seed)
    this.lastMissKey = key
    this.lastMissHash = hash
    this.lastMissCounted = this.sketch.isInitialized
    this.sketch.increment(hash)
    if (sampleHash(hash) < this.sampleThreshold) this.miniSim!.record(hash)
    this.missesInSample++
  }

  onInsert(node: N): boolean {
    const weight = node.weight
    if (!(weight <= this.maximum)) return false
    if (weight !== 1 && !this.sketchByCount) this.onFirstWeightedEntry()
    if (this.sketchByCount || this.totalWeight >= this.maximum / 2) this.ensureSketchCapacity()

    if (node.key === this.lastMissKey) {
      node.hash = this.lastMissHash
      if (!this.lastMissCounted) this.sketch.increment(node.hash)
      this.lastMissKey = undefined
    } else {
      node.hash = hashKey(node.key, this.seed)
      this.sketch.increment(node.hash)
      if (sampleHash(node.hash) < this.sampleThreshold) this.miniSim!.record(node.hash)
      this.missesInSample++
    }

    this.totalWeight += weight
    this.count++
    this.windowWeight += weight
    this.windowCount++
    // Heavier than the window: first in line to leave it, so it faces admission at once.
    if (weight > this.windowMaximumWeight) this.window.addFirst(node)
    else this.window.addLast(node)

    this.maintenance()
    return isResident(node)
  }

  onUpdate(node: N, weight: number): boolean {
    const oldWeight = node.weight
    // The common update (same weight, e.g. every update of a count-bounded cache) is a hit: nothing can overflow.
    if (weight === oldWeight && node.queue !== 0) {
      this.onHit(node)
      return true
    }
    const difference = weight - oldWeight
    if (weight !== 1 && !this.sketchByCount) this.onFirstWeightedEntry()
    node.weight = weight
    this.totalWeight += difference
    switch (node.queue) {
      case WINDOW:
        if (weight <= this.windowMaximumWeight) this.onHit(node)
        else this.window.moveToFirst(node)
        this.windowWeight += difference
        break
      case PROBATION:
        if (weight <= this.maximum) {
          this.onHit(node)
        } else {
          this.probation.remove(node)
          this.window.addFirst(node)
          this.windowWeight += weight
          this.windowCount++
        }
        break
      case PROTECTED:
        if (weight <= this.maximum) {
          this.onHit(node)
          this.protectedWeight += difference
        } else {
          this.protectedDeque.remove(node)
          this.window.addFirst(node)
          this.windowWeight += weight
          this.windowCount++
          this.protectedWeight -= oldWeight
          this.protectedCount--
        }
        break
      default:
        this.totalWeight -= difference
        return false
    }
    this.maintenance()
    return isResident(node)
  }

  onRemove(node: N): void {
    this.unlink(node)
  }

  clear(): void {
    this.window.clear()
    this.probation.clear()
    this.protectedDeque.clear()
    this.totalWeight = 0
    this.count = 0
    this.windowWeight = 0
    this.windowCount = 0
    this.protectedWeight = 0
    this.protectedCount = 0
    this.lastMissKey = undefined
  }

  /** Sizes the sketch (see `sketchByCount`) and takes its aging period as the decision period. */
  private ensureSketchCapacity(): void {
    // By count, never below the entries the sketch's smallest table is made for: a byte-weighted cache holding two
    // big entries (a proxy's) would otherwise age a table of 4,096 counters every 20 accesses, a quarter of its hit path.
    const capacity = this.sketchByCount ? Math.min(Math.max(this.count, MIN_SKETCH_ENTRIES), this.maximumSize) : this.maximum
    this.sketch.ensureCapacity(capacity)
    const period = this.sketch.sampleSize
    this.sampleSize = this.miniSim === null ? period : Math.max(1, Math.round(MINI_SIM_PERIOD * period))
  }

  /** A sketch sized for a count budget is wrong once weights are bytes: start over, sized by the entry count. */
  private onFirstWeightedEntry(): void {
    this.sketchByCount = true
    this.miniSimByCount = true
    this.miniSim = null
    this.sampleThreshold = 0
    if (this.eagerSketch) {
      this.eagerSketch = false
      this.sketch.forget()
    }
    this.ensureSketchCapacity()
  }

  /**
   * Builds the miniature simulations for a cache of `entries` unit entries (see `miniSimByCount`). Built at the start
   * they are as cold as the cache. Built late (a byte budget, when it first binds) they start cold beside a warm cache;
   * a warm-up of one or two × entries measured no better on the byte-budget sweep, so they decide at once there too.
   */
  private startMiniSim(entries: number, warmUpPeriods: number): void {
    this.miniSim = new MiniSimulation({
      maximum: entries,
      percents: MINI_SIM_PERCENTS,
      miniSize: MINI_SIM_SIZE,
      initialPercent: this.windowMaximumWeight / this.maximum,
      warmUpPeriods,
      decay: MINI_SIM_DECAY,
      hysteresis: MINI_SIM_HYSTERESIS,
    })
    this.sampleThreshold = this.miniSim.threshold
  }

  private maintenance(): void {
    if (this.miniSim === null && this.miniSimByCount && (this.totalWeight > this.maximum || this.count > this.maximumSize)) {
      this.startMiniSim(Math.max(1, this.count), 0)
      this.ensureSketchCapacity()
    }
    this.evictFromMain(this.evictFromWindow())
    this.climb()
  }

  /** Moves the window's overflow, oldest first, to probation's MRU end; returns how many became candidates. */
  private evictFromWindow(): number {
    let candidates = 0
    let node = this.window.peekFirst()
    while (this.windowWeight > this.windowMaximumWeight || this.windowCount > this.windowMaximumCount) {
      if (node === null) break
      const next = nextOf(node)
      this.window.remove(node)
      this.probation.addLast(node)
      this.windowWeight -= node.weight
      this.windowCount--
      candidates++
      node = next
    }
    return candidates
  }

  /**
   * While over budget, duels the newest candidate against the main space's victim and evicts the loser. Candidates
   * are the window's overflow (at probation's MRU end, walked newest first); once they run out, window entries stand
   * in. Victims are probation's LRU end, then protected's, then the window's.
   */
  private evictFromMain(initialCandidates: number): void {
    let candidates = initialCandidates
    let victimQueue = PROBATION
    let victim = this.probation.peekFirst()
    let candidate = this.probation.peekLast()
    while (this.totalWeight > this.maximum || this.count > this.maximumSize) {
      if (candidates === 0) {
        // Still over budget (a heavy insert): the window's LRU entry becomes the next candidate, so the duel stays
        // between the oldest newcomer and the main space's victim. Caffeine takes the window's newest entry instead,
        // which on a byte budget evicted the entry just written even when the window is the whole cache (LRU).
        const next = this.window.peekFirst()
        if (next !== null) {
          this.window.remove(next)
          this.probation.addLast(next)
          this.windowWeight -= next.weight
          this.windowCount--
          candidates = 1
          candidate = next
          if (victim === null && victimQueue === PROBATION) victim = this.probation.peekFirst()
          continue
        }
        candidate = null
      } else if (victimQueue === PROBATION && victim !== null && this.probationCount() <= candidates) {
        // The victim is itself one of this round's candidates (a heavy insert pushed several out of the window): the
        // older leaves first, as from an LRU, instead of a duel between two newcomers.
        const evict = victim
        victim = nextOf(evict)
        candidates--
        if (candidate === evict) candidate = null
        this.evict(evict)
        continue
      }

      if (candidate === null && victim === null) {
        if (victimQueue === PROBATION) {
          victim = this.protectedDeque.peekFirst()
          victimQueue = PROTECTED
          continue
        } else if (victimQueue === PROTECTED) {
          victim = this.window.peekFirst()
          victimQueue = WINDOW
          continue
        }
        break
      }

      if (victim === null) {
        const evict = candidate!
        candidate = previousOf(evict)
        candidates--
        this.evict(evict)
        continue
      } else if (candidate === null) {
        const evict = victim
        victim = nextOf(evict)
        this.evict(evict)
        continue
      } else if (candidate === victim) {
        // Only one node left where both ends meet: no duel to hold.
        const evict = victim
        victim = nextOf(evict)
        candidates--
        candidate = candidates > 0 ? previousOf(evict) : null
        this.evict(evict)
        continue
      }

      if (candidate.weight > this.maximum) {
        const evict = candidate
        candidate = candidates > 0 ? previousOf(evict) : nextOf(evict)
        candidates--
        this.evict(evict)
        continue
      }

      candidates--
      if (this.admit(candidate, victim)) {
        const evict = victim
        victim = nextOf(evict)
        this.evict(evict)
        candidate = previousOf(candidate)
      } else {
        const evict = candidate
        candidate = candidates > 0 ? previousOf(evict) : nextOf(evict)
        this.evict(evict)
      }
    }
  }

  /**
   * TinyLFU's duel: the candidate wins only if the sketch saw it more often than the victim. A warm candidate (≥ 6)
   * that loses still wins 1 time in 128, so that an attacker who inflates a victim's counters by flooding colliding
   * keys cannot freeze the cache; a cold one never does, which keeps the cost of the randomness on the hit rate low.
   */
  private admit(candidate: N, victim: N): boolean {
    const victimFrequency = this.sketch.frequency(victim.hash)
    const candidateFrequency = this.sketch.frequency(candidate.hash)
    if (candidateFrequency > victimFrequency) return true
    if (candidateFrequency < ADMIT_HASHDOS_THRESHOLD) return false
    return (this.nextRandom() & 127) === 0
  }

  /** Promotes a probation hit to protected (deferring to probation's MRU end if it could never fit there). */
  private reorderProbation(node: N): void {
    if (node.weight > this.protectedMaximumWeight) {
      this.probation.moveToLast(node)
      return
    }
    this.probation.remove(node)
    this.protectedDeque.addLast(node)
    this.protectedWeight += node.weight
    this.protectedCount++
    this.demoteFromMainProtected()
  }

  /** Moves protected's LRU entries back to probation while protected is over its limit. */
  private demoteFromMainProtected(): void {
    for (let i = 0; i < QUEUE_TRANSFER_THRESHOLD; i++) {
      if (this.protectedWeight <= this.protectedMaximumWeight && this.protectedCount <= this.protectedMaximumCount) {
        return
      }
      const demoted = this.protectedDeque.peekFirst()
      if (demoted === null) return
      this.protectedDeque.remove(demoted)
      this.probation.addLast(demoted)
      this.protectedWeight -= demoted.weight
      this.protectedCount--
    }
  }

  private climb(): void {
    this.determineAdjustment()
    this.demoteFromMainProtected()
    if (this.adjustment > 0) this.increaseWindow()
    else if (this.adjustment < 0) this.decreaseWindow()
  }

  /**
   * At the end of each sample period, sets `adjustment`: from the miniature simulations while there are any, else
   * from the change in hit rate (see the class comment).
   */
  private determineAdjustment(): void {
    if (!this.sketch.isInitialized) {
      this.hitsInSample = 0
      this.missesInSample = 0
      return
    }
    const requestCount = this.hitsInSample + this.missesInSample
    if (requestCount < this.sampleSize) return

    if (this.miniSim !== null) this.adaptToMiniSim(this.miniSim)
    this.hitsInSample = 0
    this.missesInSample = 0
  }

  /** Moves the window to the share the miniature simulations now favour (see `MiniSimulation.decide`). */
  private adaptToMiniSim(sim: MiniSimulation): void {
    const target = Math.max(1, Math.round(sim.decide() * this.maximum))
    this.adjustment = target - this.windowMaximumWeight
  }

  /**
   * Grows the window by shrinking the main space (protected keeps its 80% of what is left), and moves the main
   * space's LRU entries into the window so that it is full at its new size. The window may take the whole budget: then
   * the policy is LRU, which recency-skewed workloads (zigzags, sliding windows) need. What could not be moved now
   * stays in `adjustment` for the next maintenance.
   */
  private increaseWindow(): void {
    const quota = Math.min(this.adjustment, this.maximum - this.windowMaximumWeight)
    if (quota <= 0) {
      this.adjustment = 0
      return
    }
    let moved = 0
    for (let i = 0; i < QUEUE_TRANSFER_THRESHOLD; i++) {
      let candidate = this.probation.peekFirst()
      let fromProbation = true
      if (candidate === null || quota - moved < candidate.weight) {
        candidate = this.protectedDeque.peekFirst()
        fromProbation = false
      }
      if (candidate === null) break
      const weight = candidate.weight
      if (quota - moved < weight) break

      moved += weight
      if (fromProbation) {
        this.probation.remove(candidate)
      } else {
        this.protectedDeque.remove(candidate)
        this.protectedWeight -= weight
        this.protectedCount--
      }
      this.window.addLast(candidate)
      this.windowWeight += weight
      this.windowCount++
    }
    // The main space may hold less than the quota (a cache not full yet): the window still takes all of it.
    const empty = this.probation.isEmpty && this.protectedDeque.isEmpty
    const grown = empty ? quota : moved
    this.setWindowMaximum(this.windowMaximumWeight + grown)
    this.demoteFromMainProtected()
    this.adjustment = quota - grown
  }

  /** Shrinks the window in favour of the main space, moving the window's LRU entries to probation. */
  private decreaseWindow(): void {
    if (this.windowMaximumWeight <= 1) {
      this.adjustment = 0
      return
    }
    let quota = Math.min(-this.adjustment, this.windowMaximumWeight - 1)
    this.setWindowMaximum(this.windowMaximumWeight - quota)

    for (let i = 0; i < QUEUE_TRANSFER_THRESHOLD; i++) {
      if (this.windowWeight <= this.windowMaximumWeight) break
      const candidate = this.window.peekFirst()
      if (candidate === null) break
      const weight = candidate.weight
      quota -= weight
      this.window.remove(candidate)
      this.probation.addLast(candidate)
      this.windowWeight -= weight
      this.windowCount--
    }
    this.adjustment = 0
  }

  /** Sets the window's limit; protected keeps PERCENT_MAIN_PROTECTED of the rest. */
  private setWindowMaximum(weight: number): void {
    this.windowMaximumWeight = weight
    this.protectedMaximumWeight = Math.floor(PERCENT_MAIN_PROTECTED * (this.maximum - weight))
    this.updateCountMaxima()
  }

  /** With a count bound besides the weight bound, each segment's count limit follows its share of the weight. */
  private updateCountMaxima(): void {
    if (this.maximumSize === Number.POSITIVE_INFINITY) return
    const scale = this.maximumSize / this.maximum
    this.windowMaximumCount = Math.ceil(this.windowMaximumWeight * scale)
    this.protectedMaximumCount = Math.floor(this.protectedMaximumWeight * scale)
  }

  private probationCount(): number {
    return this.count - this.windowCount - this.protectedCount
  }

  private unlink(node: N): boolean {
    const weight = node.weight
    switch (node.queue) {
      case WINDOW:
        this.window.remove(node)
        this.windowWeight -= weight
        this.windowCount--
        break
      case PROBATION:
        this.probation.remove(node)
        break
      case PROTECTED:
        this.protectedDeque.remove(node)
        this.protectedWeight -= weight
        this.protectedCount--
        break
      default:
        return false
    }
    this.totalWeight -= weight
    this.count--
    return true
  }

  private evict(node: N): void {
    if (this.unlink(node)) this.onEvict(node)
  }

  /** xorshift32: a cheap, seedable source for the 1-in-128 admission. */
  private nextRandom(): number {
    let x = this.random
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.random = x
    return x
  }
}

/** Read through a call so that narrowing from an earlier `switch (node.queue)` does not survive the maintenance. */
function isResident(node: PolicyNode): boolean {
  return node.queue > 0
}

function nextOf<N extends PolicyNode>(node: N): N | null {
  return node.next as N | null
}

function previousOf<N extends PolicyNode>(node: N): N | null {
  return node.prev as N | null
}
