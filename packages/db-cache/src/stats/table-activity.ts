/**
 * Change counts per table (`schema.name`), from writes through the cache and from change capture events, in a ring of
 * one-minute buckets so the rate follows the recent past rather than the whole uptime.
 */
export class TableActivity {
  private readonly buckets = new Map<string, { minute: number; counts: number[] }>()
  private readonly startedAt: number

  constructor(
    private readonly windowMinutes = 15,
    private readonly clock: () => number = Date.now,
  ) {
    this.startedAt = clock()
  }

  record(table: string, changes = 1): void {
    const minute = Math.floor(this.clock() / 60_000)
    let entry = this.buckets.get(table)
    if (entry === undefined) {
      entry = { minute, counts: new Array<number>(this.windowMinutes).fill(0) }
      this.buckets.set(table, entry)
    }
    this.advance(entry, minute)
    entry.counts[minute % this.windowMinutes]! += changes
  }

  /** Mean changes per minute over the window (or since start, when that is shorter; at least one minute, so a burst in the first seconds is not extrapolated). */
  changesPerMinute(table: string): number {
    const entry = this.buckets.get(table)
    if (entry === undefined) return 0
    const now = this.clock()
    this.advance(entry, Math.floor(now / 60_000))
    const total = entry.counts.reduce((sum, count) => sum + count, 0)
    const minutes = Math.min(this.windowMinutes, Math.max((now - this.startedAt) / 60_000, 1))
    return total / minutes
  }

  private advance(entry: { minute: number; counts: number[] }, minute: number): void {
    if (minute <= entry.minute) return
    const steps = Math.min(minute - entry.minute, this.windowMinutes)
    for (let i = 1; i <= steps; i++) entry.counts[(entry.minute + i) % this.windowMinutes] = 0
    entry.minute = minute
  }
}
