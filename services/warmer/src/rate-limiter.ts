/**
 * A token bucket shared by every warming run of a process: `perSecond` origin loads on average, at most `burst` at
 * once after a quiet spell. Waiters are served in arrival order, so a large run cannot starve a small one forever.
 */
export class RateLimiter {
  private tokens: number
  private last: number
  private queue: Promise<void> = Promise.resolve()

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError(`perSecond must be a positive number, got ${perSecond}`)
    if (!(burst >= 1) || !Number.isInteger(burst)) throw new RangeError(`burst must be an integer >= 1, got ${burst}`)
    this.tokens = burst
    this.last = clock()
  }

  /** Resolves when one load may start. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.wait())
    this.queue = turn
    return turn
  }

  private async wait(): Promise<void> {
    for (;;) {
      const now = this.clock()
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond)
      this.last = now
      if (this.tokens >= 1) {
        this.tokens -= 1
        return
      }
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(((1 - this.tokens) / this.perSecond) * 1000)))
    }
  }
}
