/** Where a fast-path failure happened: a copy not sent, or a message received that is not a valid invalidation. */
export type FanoutErrorStage = 'publish' | 'receive'

export interface FanoutErrorReportOptions {
  /** pino's `logger.warn.bind(logger)`, or any function of the same shape. */
  warn: (fields: Record<string, unknown>, message: string) => void
  /**
   * At most one warning per stage per this many ms; the failures in between are counted, and the next warning says
   * how many it stands for (`suppressed`). A Redis outage fails every invalidation's fast copy: one line per
   * invalidation would drown the log. Default 10 s.
   */
  logEveryMs?: number
  clock?: () => number
}

const MESSAGES: Record<FanoutErrorStage, string> = {
  publish: 'fast invalidation not sent on the fanout; the bus still carries it (only latency is lost)',
  receive: 'a message on the fast invalidation fanout is not a valid invalidation; ignored',
}

/**
 * Makes the fast invalidation path's failures visible: `report` is TransportInvalidationBus's `onFanoutError`; every
 * failure is counted per stage (services expose `counts` as strata_fast_invalidation_errors_total) and logged, at a
 * bounded rate. A failure there never fails a caller (the durable bus carries every invalidation): without this it
 * went unseen, and a fast path that never works looked like one that does.
 */
export class FanoutErrorReport {
  readonly counts: Record<FanoutErrorStage, number> = { publish: 0, receive: 0 }
  private readonly lastLoggedAt: Record<FanoutErrorStage, number> = { publish: -Infinity, receive: -Infinity }
  private readonly unlogged: Record<FanoutErrorStage, number> = { publish: 0, receive: 0 }
  private readonly logEveryMs: number
  private readonly clock: () => number

  constructor(
    /** The fanout's name (`redis`), in the log and the metric's label. */
    readonly fanout: string,
    private readonly options: FanoutErrorReportOptions,
  ) {
    this.logEveryMs = options.logEveryMs ?? 10_000
    this.clock = options.clock ?? Date.now
  }

  readonly report = (error: unknown, stage: FanoutErrorStage): void => {
    this.counts[stage]++
    const now = this.clock()
    if (now - this.lastLoggedAt[stage] < this.logEveryMs) {
      this.unlogged[stage]++
      return
    }
    const suppressed = this.unlogged[stage]
    this.unlogged[stage] = 0
    this.lastLoggedAt[stage] = now
    this.options.warn({ ...errorFields(error, stage), fanout: this.fanout, stage, ...(suppressed > 0 ? { suppressed } : {}) }, MESSAGES[stage])
  }
}

/**
 * A publish failure is Redis' (whole, for the stack); a received message's decode error may quote the payload, whose
 * keys must not reach the log (conventions: no unhashed keys of sensitive namespaces), so only its name and code go.
 */
function errorFields(error: unknown, stage: FanoutErrorStage): Record<string, unknown> {
  if (stage === 'publish') return { err: error }
  const code = (error as { code?: unknown } | null)?.code
  return { error: error instanceof Error ? error.name : typeof error, ...(typeof code === 'string' ? { code } : {}) }
}
