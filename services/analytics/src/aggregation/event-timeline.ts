import type { AlertTimelineEntry, TimelineEntry, WarmRunTimelineEntry } from '@strata/api'
import type { AlertEvent, WarmEvent } from '@strata/bus'

// The entries are part of the report (the analytics API's contract): declared in @strata/api.
export type AlertEntry = AlertTimelineEntry
export type WarmRunEntry = WarmRunTimelineEntry
export type { TimelineEntry }

/**
 * What happened to the caches besides traffic — alerts changing state, warming runs finishing — kept beside the
 * report's series so a hit-ratio drop can be read against the alert that fired and the warm run that followed. A
 * bounded ring in memory: after a restart it starts empty (like the MRC), the rollups are what lasts.
 */
export class EventTimeline {
  private readonly ring: (TimelineEntry | undefined)[]
  private next = 0

  constructor(readonly capacity = 1_000) {
    this.ring = new Array<TimelineEntry | undefined>(capacity)
  }

  alert(event: AlertEvent): void {
    this.add({
      kind: 'alert',
      at: event.at,
      alertId: event.alertId,
      rule: event.rule,
      state: event.state,
      severity: event.severity,
      summary: event.summary,
      labels: { ...(event.labels ?? {}) },
      ...(event.value === undefined ? {} : { value: event.value }),
    })
  }

  /** Only finished runs: a started one says nothing a report reader can use yet. */
  warm(event: WarmEvent): void {
    if (event.state !== 'finished') return
    const { runId, target, trigger, loaded, cached, failed, total, durationMs, at } = event
    this.add({ kind: 'warm', at, runId, target, trigger, loaded, cached, failed, total, durationMs })
  }

  /** Entries with `from <= at < to`, newest first. */
  between(from: number, to: number): TimelineEntry[] {
    const out: TimelineEntry[] = []
    for (let i = 1; i <= this.capacity; i++) {
      const entry = this.ring[(this.next - i + this.capacity) % this.capacity]
      if (entry === undefined) break
      if (entry.at >= from && entry.at < to) out.push(entry)
    }
    return out.sort((a, b) => b.at - a.at)
  }

  private add(entry: TimelineEntry): void {
    this.ring[this.next] = entry
    this.next = (this.next + 1) % this.capacity
  }
}
