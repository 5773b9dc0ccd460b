import { StrataError } from '../errors/index.js'
import { PolicyNode } from './eviction/eviction-policy.js'
import type { EvictionPolicy, EvictionPolicyName } from './eviction/eviction-policy.js'
import { createEvictionPolicy } from './eviction/index.js'
import { coarseNow, freshNow } from './expiry/coarse-clock.js'
import { TimerWheel, type TimerNode } from './expiry/timer-wheel.js'

/** Why an entry left the tier, as `onRemoval` reports it. */
export type RemovalCause = 'evicted' | 'expired' | 'replaced' | 'deleted' | 'cleared'

export interface MemoryTierOptions {
  /** Upper bound on the number of entries. */
  maxEntries: number
  /** Upper bound on the sum of entry weights (bytes); when set, both bounds hold. */
  maxBytes?: number
  /** Eviction/admission policy; 'w-tinylfu' by default. */
  policy?: EvictionPolicyName
  /**
   * Milliseconds; expiry times passed to `set` are on this clock. By default `Date.now`, read at most once per
   * millisecond for entries far from expiry (see CoarseClock and NEAR_EXPIRY_MS) and afresh for the others.
   */
  clock?: () => number
  /**
   * Called after the operation that removed an entry has finished (so it may call back into the tier). If it throws,
   * the other notifications of that operation still run and the first error is rethrown to the operation's caller.
   */
  onRemoval?: (key: string, value: unknown, cause: RemovalCause) => void
  /**
   * Seeds the policy's hash and tie-break. By default the seed is derived from the budget, so a cache replays a trace
   * the same way every run; pass a random one (e.g. from crypto) to make the sketch's counters unpredictable.
   */
  seed?: number
  /**
   * Whether `onRemoval` hears of values replaced by `set` (true by default). An owner that ignores them (the engine
   * counts only evictions and expiries) turns them off and spares every overwrite a notification.
   */
  notifyReplaced?: boolean
}

/** A resident entry: the policy's node, the timer wheel's node, and the value. */
class Entry<V> extends PolicyNode implements TimerNode {
  declare key: string
  timerPrev: TimerNode | null = null
  timerNext: TimerNode | null = null

  constructor(
    key: string,
    public value: V,
    public expiresAt: number,
    /** The weight the caller gave (bytes, or 1); `weight` is the policy's cost, which is 1 when only counting. */
    public bytes: number,
    cost: number,
  ) {
    super(key, cost)
  }
}

const INFINITY = Number.POSITIVE_INFINITY
/**
 * An entry whose expiry is this close by the coarse clock is checked against a fresh clock read. The coarse clock is
 * refreshed by every write, every millisecond of event-loop time and every 1024 reads, so expiry is exact unless it
 * is more than this far behind: the event loop blocked that long with no write and few reads. Hits on entries far
 * from expiry pay no clock read.
 */
const NEAR_EXPIRY_MS = 1000
/** Detached entries kept for reuse (see createEntry). */
const SPARE_ENTRIES = 64

/**
 * The synchronous in-process store behind the engine's L1: a Map of entries, an eviction policy (adaptive W-TinyLFU by
 * default) bounding it by count and optionally by bytes, and a timer wheel that reclaims expired entries without a
 * timer per entry.
 *
 * Expiry is exact for readers (`get`, `peek`, `has` compare `expiresAt` with the clock; see NEAR_EXPIRY_MS for the
 * default coarse clock) and lazy for memory: an entry past its time leaves when it is read, or when the wheel is
 * advanced, which `set`, `get` of an entry with a TTL, `delete` and `cleanUp` do whenever the clock has passed the
 * wheel's next ~1 s tick. `size` counts entries not yet reclaimed. Entries without a TTL (`expiresAt` = Infinity)
 * never touch the clock on the hit path.
 */
export class MemoryTier<V> {
  private readonly map = new Map<string, Entry<V>>()
  private readonly policy: EvictionPolicy<Entry<V>>
  private readonly wheel: TimerWheel<Entry<V>>
  /** The injected clock, or undefined for the process-wide coarse clock. */
  private readonly customClock: (() => number) | undefined
  private readonly maxBytes: number | undefined
  private readonly onRemoval: ((key: string, value: unknown, cause: RemovalCause) => void) | undefined
  private readonly notifyReplaced: boolean
  private nextTickAt: number
  private bytes = 0

  // Queued notifications in parallel arrays reused across operations: `pending` counts the live slots (resetting a
  // count is cheaper than truncating three arrays after every replaced value).
  private readonly pendingKeys: string[] = []
  private readonly pendingValues: unknown[] = []
  private readonly pendingCauses: RemovalCause[] = []
  private pending = 0
  private notifying = false
  private readonly spare: Entry<V>[] = []

  constructor(options: MemoryTierOptions) {
    const { maxEntries, maxBytes } = options
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw invalidOption('maxEntries', maxEntries, 'an integer ≥ 1')
    }
    if (maxBytes !== undefined && (!Number.isFinite(maxBytes) || maxBytes < 1)) {
      throw invalidOption('maxBytes', maxBytes, 'a finite number ≥ 1')
    }
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw invalidOption('clock', options.clock, 'a function returning milliseconds')
    }
    this.customClock = options.clock
    this.maxBytes = maxBytes
    this.onRemoval = options.onRemoval
    this.notifyReplaced = options.notifyReplaced ?? true
    const onEvict = (entry: Entry<V>): void => {
      this.detach(entry)
      this.notify(entry.key, entry.value, 'evicted')
      this.recycle(entry)
    }
    this.policy = createEvictionPolicy<Entry<V>>(options.policy ?? 'w-tinylfu', {
      maximumWeight: maxBytes ?? maxEntries,
      ...(maxBytes === undefined ? {} : { maximumSize: maxEntries }),
      onEvict,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    })
    const onExpire = (entry: Entry<V>): void => {
      this.map.delete(entry.key)
      this.policy.onRemove(entry)
      this.bytes -= entry.bytes
      this.notify(entry.key, entry.value, 'expired')
      this.recycle(entry)
    }
    this.wheel = new TimerWheel<Entry<V>>(onExpire, this.now())
    this.nextTickAt = this.wheel.nextTickAt
  }

  /** Resident entries, including expired ones not reclaimed yet. */
  get size(): number {
    return this.map.size
  }

  /** Sum of the weights given to `set` over resident entries. */
  get weightedSize(): number {
    return this.bytes
  }

  /** The value, or undefined when absent or past its expiry; records a hit or a miss in the policy. */
  get(key: string): V | undefined {
    const entry = this.map.get(key)
    if (entry === undefined) {
      this.policy.onMiss(key)
      return undefined
    }
    if (entry.expiresAt !== INFINITY) {
      const now = this.now()
      if (entry.expiresAt - now <= NEAR_EXPIRY_MS && entry.expiresAt <= this.preciseNow()) {
        this.expire(entry)
        this.policy.onMiss(key)
        this.flushNotifications()
        return undefined
      }
      if (now >= this.nextTickAt) {
        this.advance(now)
        this.flushNotifications()
      }
    }
    this.policy.onHit(entry)
    return entry.value
  }

  /** The value, or undefined when absent or expired, without touching the policy or reclaiming anything. */
  peek(key: string): V | undefined {
    const entry = this.map.get(key)
    if (entry === undefined) return undefined
    if (this.isExpired(entry.expiresAt)) return undefined
    return entry.value
  }

  /**
   * Stores `value` until `expiresAt` (ms on the tier's clock; Infinity for no expiry) with `weight` (bytes when the
   * tier is bounded by bytes, otherwise informative; 1 by default). Returns false when the value is not resident
   * afterwards: heavier than `maxBytes`, already expired, or not admitted by the policy. A value that is not kept
   * still replaces the previous one, which leaves with cause 'replaced' (not reported when the same value is set
   * again).
   */
  set(key: string, value: V, expiresAt: number, weight = 1): boolean {
    if (typeof expiresAt !== 'number' || Number.isNaN(expiresAt)) {
      throw new StrataError('E_INVALID_TTL', `expiresAt must be a time in ms or Infinity, got ${String(expiresAt)}`, {
        context: { key, expiresAt },
      })
    }
    if (typeof weight !== 'number' || !(weight >= 0) || weight === INFINITY) {
      throw invalidOption('weight', weight, 'a finite number ≥ 0')
    }

    // A write reads the clock afresh: it costs little next to the write, and keeps the coarse clock from going stale
    // while the event loop is busy.
    let expired = false
    if (expiresAt !== INFINITY || this.wheel.size > 0) {
      const now = this.preciseNow()
      if (now >= this.nextTickAt) this.advance(now)
      expired = expiresAt <= now
    }

    const existing = this.map.get(key)
    const maxBytes = this.maxBytes
    if (expired || (maxBytes !== undefined && weight > maxBytes)) {
      if (existing !== undefined) {
        this.remove(existing)
        if (this.notifyReplaced) this.notify(key, existing.value, 'replaced')
        this.recycle(existing)
      }
      this.flushNotifications()
      return false
    }

    const cost = maxBytes === undefined ? 1 : Math.max(1, weight)
    let resident: boolean
    if (existing !== undefined) {
      const previous = existing.value
      existing.value = value
      this.bytes += weight - existing.bytes
      existing.bytes = weight
      const previousExpiry = existing.expiresAt
      if (previousExpiry !== expiresAt) {
        existing.expiresAt = expiresAt
        // A later expiry may leave the node in its earlier bucket: the wheel re-sorts a node that is not due when it
        // visits the bucket, so it is still reclaimed on time, and an overwrite (which nearly always pushes the expiry
        // out) costs no unlink and relink.
        if (expiresAt < previousExpiry || expiresAt === INFINITY) this.wheel.reschedule(existing)
      }
      if (previous !== value && this.notifyReplaced) this.notify(key, previous, 'replaced')
      resident = this.policy.onUpdate(existing, cost)
    } else {
      const entry = this.createEntry(key, value, expiresAt, weight, cost)
      this.map.set(key, entry)
      this.bytes += weight
      if (expiresAt !== INFINITY) this.wheel.schedule(entry)
      resident = this.policy.onInsert(entry)
      // A rejection the policy did not report as an eviction (it never became resident).
      if (!resident && this.map.get(key) === entry) {
        this.detach(entry)
        this.recycle(entry)
      }
    }
    this.flushNotifications()
    return resident
  }

  /** Removes the entry; true when a live one was there (an expired one leaves with cause 'expired'). */
  delete(key: string): boolean {
    const entry = this.map.get(key)
    if (entry === undefined) return false
    const live = !this.isExpired(entry.expiresAt)
    const now = this.now()
    if (now >= this.nextTickAt) this.advance(now)
    if (this.map.get(key) === entry) {
      this.remove(entry)
      this.notify(key, entry.value, live ? 'deleted' : 'expired')
      this.recycle(entry)
    }
    this.flushNotifications()
    return live
  }

  /** Whether a live entry is there, without touching the policy. */
  has(key: string): boolean {
    const entry = this.map.get(key)
    return entry !== undefined && !this.isExpired(entry.expiresAt)
  }

  /** The entry's expiry time (Infinity for none), or undefined when absent or expired. */
  expiresAt(key: string): number | undefined {
    const entry = this.map.get(key)
    if (entry === undefined) return undefined
    if (this.isExpired(entry.expiresAt)) return undefined
    return entry.expiresAt
  }

  /** Keys of live entries, in no particular order. */
  *keys(): IterableIterator<string> {
    const now = this.preciseNow()
    for (const [key, entry] of this.map) {
      if (entry.expiresAt > now) yield key
    }
  }

  /** Removes every entry: cause 'cleared', or 'expired' for those already past their time. */
  clear(): void {
    if (this.onRemoval !== undefined) {
      const now = this.preciseNow()
      for (const entry of this.map.values()) {
        this.notify(entry.key, entry.value, entry.expiresAt <= now ? 'expired' : 'cleared')
      }
    }
    this.map.clear()
    this.policy.clear()
    this.wheel.clear()
    this.bytes = 0
    this.flushNotifications()
  }

  /** Advances the timer wheel to now, reclaiming expired entries. */
  cleanUp(): void {
    this.advance(this.preciseNow())
    this.flushNotifications()
  }

  /** The time for bookkeeping and for entries far from expiry: coarse (see CoarseClock) unless a clock is injected. */
  private now(): number {
    const clock = this.customClock
    return clock === undefined ? coarseNow() : clock()
  }

  /** The time read afresh (writes, and entries within NEAR_EXPIRY_MS of expiry by the coarse clock). */
  private preciseNow(): number {
    const clock = this.customClock
    return clock === undefined ? freshNow() : clock()
  }

  private isExpired(expiresAt: number): boolean {
    if (expiresAt === INFINITY) return false
    return expiresAt - this.now() <= NEAR_EXPIRY_MS && expiresAt <= this.preciseNow()
  }

  private advance(now: number): void {
    this.wheel.advance(now)
    this.nextTickAt = this.wheel.nextTickAt
  }

  private expire(entry: Entry<V>): void {
    this.remove(entry)
    this.notify(entry.key, entry.value, 'expired')
    this.recycle(entry)
  }

  /**
   * A new entry, reusing one that left the tier when there is one: at steady state every insert evicts an entry, and
   * reusing it spares the allocation and the old-generation garbage (a fifth of read-through time went to GC).
   */
  private createEntry(key: string, value: V, expiresAt: number, bytes: number, cost: number): Entry<V> {
    const entry = this.spare.pop()
    if (entry === undefined) return new Entry(key, value, expiresAt, bytes, cost)
    entry.key = key
    entry.value = value
    entry.expiresAt = expiresAt
    entry.bytes = bytes
    entry.weight = cost
    entry.saturatedEpoch = 0
    return entry
  }

  /** Keeps a detached entry (unlinked from map, policy and wheel; never handed out) for reuse, without its value. */
  private recycle(entry: Entry<V>): void {
    if (this.spare.length >= SPARE_ENTRIES) return
    entry.value = undefined as V
    this.spare.push(entry)
  }

  /** Takes a resident entry out of the map, the policy and the wheel. */
  private remove(entry: Entry<V>): void {
    this.policy.onRemove(entry)
    this.detach(entry)
  }

  /** Takes an entry the policy no longer holds out of the map and the wheel. */
  private detach(entry: Entry<V>): void {
    this.map.delete(entry.key)
    this.wheel.deschedule(entry)
    this.bytes -= entry.bytes
  }

  private notify(key: string, value: unknown, cause: RemovalCause): void {
    if (this.onRemoval === undefined) return
    const at = this.pending++
    this.pendingKeys[at] = key
    this.pendingValues[at] = value
    this.pendingCauses[at] = cause
  }

  /** Runs queued `onRemoval` calls once the tier is consistent; a nested operation's calls join the running loop. */
  private flushNotifications(): void {
    if (this.pending === 0 || this.notifying) return
    const listener = this.onRemoval!
    this.notifying = true
    let failed = false
    let failure: unknown
    try {
      for (let i = 0; i < this.pending; i++) {
        try {
          listener(this.pendingKeys[i]!, this.pendingValues[i], this.pendingCauses[i]!)
        } catch (error) {
          if (!failed) {
            failed = true
            failure = error
          }
        }
      }
    } finally {
      // Drop the references to removed values; the slots stay for the next operation.
      this.pendingValues.fill(undefined, 0, this.pending)
      this.pending = 0
      this.notifying = false
    }
    if (failed) throw failure
  }
}

function invalidOption(option: string, value: unknown, expected: string): StrataError {
  return new StrataError('E_INVALID_OPTION', `${option} must be ${expected}, got ${String(value)}`, {
    context: { option, value },
  })
}
