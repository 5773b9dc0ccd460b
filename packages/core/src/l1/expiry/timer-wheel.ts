/** What the wheel needs of an entry: its absolute expiry time and two links it owns. */
export interface TimerNode {
  /** Absolute time (ms, the tier's clock) at which the entry expires. Read by the wheel, written by its owner. */
  expiresAt: number
  /** Wheel-private links; null while the node is not scheduled. */
  timerPrev: TimerNode | null
  timerNext: TimerNode | null
}

/** Buckets per level: 64 × ~1 s, 64 × ~1.1 min, 32 × ~1.2 h, 4 × ~1.6 d, and one overflow bucket. */
const BUCKETS = [64, 64, 32, 4, 1] as const
/**
 * Power-of-two spans in milliseconds, so that a level's tick is `floor(time / span)` with no drift: 1.02 s, 1.09 min,
 * 1.17 h, 1.55 d, and 6.2 d for the overflow level (which holds anything farther out and is re-sorted as time passes).
 */
const SPANS = [2 ** 10, 2 ** 16, 2 ** 22, 2 ** 27, 2 ** 29] as const

/**
 * A hierarchical timing wheel (Varghese & Lauck, "Hashed and Hierarchical Timing Wheels", 1987) as Caffeine's
 * TimerWheel uses it for variable expiry: per-entry TTLs without a timer per entry.
 *
 * Each level is a ring of buckets, each bucket a doubly linked list of nodes whose expiry falls in that bucket's span.
 * `schedule`, `reschedule` and `deschedule` are O(1). `advance(now)` visits only the buckets whose span the clock
 * passed since the last advance: a node in a passed bucket is expired if its time has come, otherwise it is
 * re-sorted into a finer level (cascading), so each node moves at most once per level. A node whose time has come
 * may wait until the clock passes the end of its ~1 s bucket; readers check `expiresAt` themselves and the wheel
 * only reclaims memory.
 */
export class TimerWheel<N extends TimerNode> {
  private readonly wheel: TimerNode[][]
  private time: number
  private scheduled = 0

  /**
   * @param onExpire called for each node the wheel finds expired, already unlinked; it must not call back into the
   *   wheel (the tier defers its listeners until the advance is over)
   * @param now the clock's current time
   */
  constructor(
    private readonly onExpire: (node: N) => void,
    now: number,
  ) {
    this.time = now
    this.wheel = BUCKETS.map((count) => Array.from({ length: count }, () => sentinel()))
  }

  /** Number of scheduled nodes. */
  get size(): number {
    return this.scheduled
  }

  /** The first time at which `advance` has work to do (the end of the current finest bucket). */
  get nextTickAt(): number {
    return (Math.floor(this.time / SPANS[0]) + 1) * SPANS[0]
  }

  /** Adds an unscheduled node with a finite `expiresAt`. */
  schedule(node: N): void {
    const bucket = this.findBucket(node.expiresAt)
    const tail = bucket.timerPrev!
    node.timerPrev = tail
    node.timerNext = bucket
    tail.timerNext = node
    bucket.timerPrev = node
    this.scheduled++
  }

  /** Moves a node after its `expiresAt` changed; schedules it if it was not, deschedules it if it is now infinite. */
  reschedule(node: N): void {
    this.deschedule(node)
    if (node.expiresAt !== Number.POSITIVE_INFINITY) this.schedule(node)
  }

  /** Removes a node if it is scheduled. */
  deschedule(node: N): void {
    const next = node.timerNext
    if (next === null) return
    const prev = node.timerPrev!
    prev.timerNext = next
    next.timerPrev = prev
    node.timerNext = null
    node.timerPrev = null
    this.scheduled--
  }

  /** Drops every node (their links are left stale; the caller discards them). */
  clear(): void {
    for (const level of this.wheel) {
      for (const bucket of level) {
        bucket.timerNext = bucket
        bucket.timerPrev = bucket
      }
    }
    this.scheduled = 0
  }

  /** Moves the wheel's time to `now` and expires what is due. Time never goes backwards. */
  advance(now: number): void {
    const previous = this.time
    if (!(now > previous)) return
    this.time = now
    for (let level = 0; level < BUCKETS.length; level++) {
      const span = SPANS[level]!
      const previousTicks = Math.floor(previous / span)
      const currentTicks = Math.floor(now / span)
      if (currentTicks <= previousTicks) break
      this.expire(level, previousTicks, currentTicks)
    }
  }

  /** Visits the level's buckets from the previous tick to the current one (all of them after a full turn). */
  private expire(level: number, previousTicks: number, currentTicks: number): void {
    const buckets = this.wheel[level]!
    const mask = buckets.length - 1
    if (currentTicks - previousTicks >= buckets.length) {
      for (let i = 0; i < buckets.length; i++) this.expireBucket(buckets[i]!)
    } else {
      for (let ticks = previousTicks; ticks <= currentTicks; ticks++) this.expireBucket(buckets[ticks & mask]!)
    }
  }

  private expireBucket(bucket: TimerNode): void {
    let node = bucket.timerNext!
    if (node === bucket) return
    bucket.timerNext = bucket
    bucket.timerPrev = bucket
    const now = this.time
    while (node !== bucket) {
      const next = node.timerNext!
      node.timerNext = null
      node.timerPrev = null
      this.scheduled--
      if (node.expiresAt <= now) this.onExpire(node as N)
      else this.schedule(node as N)
      node = next
    }
  }

  /** The bucket for an expiry time: the finest level whose ring still reaches that far ahead of the wheel's time. */
  private findBucket(expiresAt: number): TimerNode {
    // A time already past goes to the current bucket, which the next tick visits.
    const at = Math.max(expiresAt, this.time)
    const duration = at - this.time
    const last = this.wheel.length - 1
    for (let level = 0; level < last; level++) {
      if (duration < SPANS[level + 1]!) {
        const buckets = this.wheel[level]!
        return buckets[Math.floor(at / SPANS[level]!) & (buckets.length - 1)]!
      }
    }
    return this.wheel[last]![0]!
  }
}

function sentinel(): TimerNode {
  const node: TimerNode = { expiresAt: Number.NaN, timerPrev: null, timerNext: null }
  node.timerPrev = node
  node.timerNext = node
  return node
}
