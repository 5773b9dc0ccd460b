/**
 * A millisecond clock that reads `Date.now()` at most once per millisecond of event-loop time. A clock read costs
 * ~45 ns on virtualised hosts, as much as the rest of an L1 hit, so the tier's default clock caches the value: the
 * cache is dropped by one unref'd timer a millisecond after it was filled (one timer per clock, never one per entry)
 * and, so that a long synchronous stretch cannot freeze time, after `readsPerRefresh` reads as well. (Dropping it at
 * the end of each event-loop turn with setImmediate instead saves an idle process one wake-up after a lone request,
 * but cost the gateway's saturated L1-hit GET 13–15 % in `pnpm bench gateway` against the timer: not worth it.) lru-cache's
 * `ttlResolution` makes the same trade. The value never runs ahead of `Date.now()`; MemoryTier re-reads the real
 * clock for entries close to their expiry, so the coarseness never serves an expired value in practice.
 */
export class CoarseClock {
  private cached = 0
  private remaining = 0
  private armed = false

  constructor(
    private readonly source: () => number = Date.now,
    private readonly resolutionMs = 1,
    private readonly readsPerRefresh = 1024,
  ) {}

  /** The current time in ms, at most about `resolutionMs` old. A bound function: pass it around as a clock. */
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
      const timer = setTimeout(this.expire, this.resolutionMs)
      if (typeof timer === 'object' && typeof timer.unref === 'function') timer.unref()
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
