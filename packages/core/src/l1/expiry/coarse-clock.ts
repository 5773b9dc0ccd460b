/**
 * A millisecond clock that reads `Date.now()` at most once per event-loop turn. A clock read costs ~45 ns on
 * virtualised hosts, as much as the rest of an L1 hit, so the tier's default clock caches the value: the cache is
 * dropped when the turn ends (one setImmediate per clock, never one per entry) and, so that a long synchronous stretch
 * cannot freeze time, after `readsPerRefresh` reads as well. Why an immediate and not a 1 ms timer: a timer makes an
 * idle process wake up once more after every lone request (the poll phase waits for it), which doubled the event-loop
 * wake-ups per request of a gateway serving a few hundred requests a second; an immediate runs in the check phase of
 * the turn that scheduled it. lru-cache's `ttlResolution` makes the same trade. The value never runs ahead of
 * `Date.now()`; MemoryTier re-reads the real clock for entries close to their expiry, so the coarseness never serves
 * an expired value in practice.
 */
export class CoarseClock {
  private cached = 0
  private remaining = 0
  private armed = false

  constructor(
    private readonly source: () => number = Date.now,
    private readonly readsPerRefresh = 1024,
  ) {}

  /** The current time in ms, as read earlier in this event-loop turn. A bound function: pass it around as a clock. */
  readonly now = (): number => {
    if (this.remaining > 0) {
      this.remaining--
      return this.cached
    }
    return this.refresh()
  }

  private readonly expire = (): void => {
    this.remaining = 0
    this.armed = false
  }

  /** Reads the source now (and caches the value for the next reads). */
  refresh(): number {
    const now = this.source()
    this.cached = now
    this.remaining = this.readsPerRefresh
    if (!this.armed) {
      this.armed = true
      // Immediates keep no process alive, unlike timers: nothing to unref.
      setImmediate(this.expire)
    }
    return now
  }
}

const processClock = new CoarseClock()

/**
 * The process-wide coarse clock (one timer for every tier). A plain module function, so that the tier's hit path
 * calls one monomorphic, inlinable function instead of a per-instance closure.
 */
export function coarseNow(): number {
  return processClock.now()
}

/** Reads `Date.now()` afresh and hands the value to the process-wide coarse clock too. */
export function freshNow(): number {
  return processClock.refresh()
}
