/**
 * A history of one coherence run and the checker over it. Every key has one writer, so its values are 1, 2, 3...
 * in the order their changes were acknowledged; a read returns the value it saw. A read is stale beyond the bound
 * when a change newer than what it returned had been acknowledged more than `boundMs` before the read began. An
 * invalidation is lost when, once everything is quiet for longer than the bound, a gateway still returns an older
 * value than the last acknowledged one.
 */
export type ChangeKind = 'event' | 'api' | 'write-through' | 'if-match'

export interface Change {
  key: string
  value: number
  kind: ChangeKind
  /** When the caller was told it succeeded (for events: when the invalidator reported it applied), epoch ms. */
  ackAt: number
}

export interface Read {
  gateway: number
  key: string
  /** The value seen; undefined when the read failed or found nothing. */
  value: number | undefined
  startedAt: number
  /** Reads made after the run, when everything is quiet: the lost-invalidation check. */
  final?: boolean
}

export interface StaleRead {
  read: Read
  /** The value it should at least have seen. */
  expected: number
  /** How long after that value's acknowledgement the read began, ms. */
  lagMs: number
}

export interface Verdict {
  reads: number
  changes: number
  /** Reads (during the run) that returned a value older than a change acknowledged more than boundMs before. */
  staleBeyondBound: StaleRead[]
  /** Final reads that still returned an older value than the last acknowledged change: invalidations lost. */
  lost: StaleRead[]
  /** The oldest a read was (lag past the acknowledgement of the first newer value), over every read, ms. */
  maxLagMs: number
}

export class History {
  readonly changes: Change[] = []
  readonly reads: Read[] = []
  readonly falsePreconditionFailures: { key: string; at: number; detail?: string }[] = []
  readonly refused: { kind: ChangeKind; key: string; status: number }[] = []

  change(change: Change): void {
    this.changes.push(change)
  }

  read(read: Read): void {
    this.reads.push(read)
  }
}

export function checkHistory(history: History, boundMs: number): Verdict {
  const byKey = new Map<string, Change[]>()
  for (const change of history.changes) {
    const list = byKey.get(change.key) ?? []
    list.push(change)
    byKey.set(change.key, list)
  }
  for (const list of byKey.values()) list.sort((a, b) => a.value - b.value)
  const staleBeyondBound: StaleRead[] = []
  const lost: StaleRead[] = []
  let maxLagMs = 0
  for (const read of history.reads) {
    if (read.value === undefined) continue
    // The first acknowledged change newer than what the read saw, acknowledged before the read began.
    const newer = (byKey.get(read.key) ?? []).find((change) => change.value > read.value! && change.ackAt < read.startedAt)
    if (newer === undefined) continue
    const lagMs = read.startedAt - newer.ackAt
    maxLagMs = Math.max(maxLagMs, lagMs)
    if (lagMs <= boundMs) continue
    const latest = byKey.get(read.key)!.filter((change) => change.ackAt < read.startedAt).at(-1)!
    const stale = { read, expected: latest.value, lagMs }
    if (read.final === true) lost.push(stale)
    else staleBeyondBound.push(stale)
  }
  return { reads: history.reads.length, changes: history.changes.length, staleBeyondBound, lost, maxLagMs }
}

/** One line per scenario for the log and the report. */
export function summarize(name: string, verdict: Verdict, extra: Record<string, unknown> = {}): string {
  const fields = {
    reads: verdict.reads,
    changes: verdict.changes,
    staleBeyondBound: verdict.staleBeyondBound.length,
    lost: verdict.lost.length,
    maxLagMs: Math.round(verdict.maxLagMs),
    ...extra,
  }
  return `coherence[${name}] ${Object.entries(fields).map(([field, value]) => `${field}=${String(value)}`).join(' ')}`
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}
