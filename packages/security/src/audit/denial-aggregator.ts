import type { AuditEntry } from './audit-record.js'

export interface DenialAggregatorOptions {
  /** Length of one aggregation window, ms. Default 60 000. */
  windowMs?: number
  /** Distinct (actor, action, resource) kept per window; past it, denials are counted under one overflow row. Default 10 000. */
  maxGroups?: number
  clock?: () => number
}

interface Group {
  first: AuditEntry
  /** Denials after the first one in this window. */
  repeats: number
}

/**
 * Repeated denials (403s) become one audit row per (actor, action, resource) and window instead of one per request:
 * the first denial is recorded at once (an alert sees it immediately), the rest of the window is counted and written
 * as one `<action>` row with `detail.repeated` when the window closes. A read-only key hammering a forbidden route
 * costs the audit store one or two rows a minute, not one per request.
 */
export class DenialAggregator {
  private groups = new Map<string, Group>()
  private overflow = 0
  private readonly windowMs: number
  private readonly maxGroups: number
  private readonly clock: () => number
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly write: (entry: AuditEntry) => void,
    options: DenialAggregatorOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 60_000
    this.maxGroups = options.maxGroups ?? 10_000
    this.clock = options.clock ?? Date.now
  }

  deny(entry: AuditEntry): void {
    const key = `${entry.actor}\n${entry.action}\n${entry.resource}`
    const group = this.groups.get(key)
    if (group !== undefined) {
      group.repeats += 1
      return
    }
    if (this.groups.size >= this.maxGroups) {
      this.overflow += 1
      return
    }
    this.groups.set(key, { first: entry, repeats: 0 })
    this.write(entry)
    this.timer ??= setTimeout(() => this.flush(), this.windowMs).unref()
  }

  /** Writes the counts of the window that is open and starts a new one (called by the timer, and at shutdown). */
  flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const groups = this.groups
    const overflow = this.overflow
    this.groups = new Map()
    this.overflow = 0
    const at = this.clock()
    for (const { first, repeats } of groups.values()) {
      if (repeats === 0) continue
      this.write({ ...first, at, detail: { ...first.detail, repeated: repeats, windowMs: this.windowMs, since: first.at } })
    }
    if (overflow > 0) {
      this.write({ actor: 'many', action: 'access.denied', resource: 'many', outcome: 'denied', at, detail: { repeated: overflow, windowMs: this.windowMs, reason: 'more distinct denials than maxGroups in one window' } })
    }
  }
}
