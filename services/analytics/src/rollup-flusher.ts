import type { AnalyticsState } from './aggregation/analytics-state.js'
import type { Position } from './aggregation/rollup-rows.js'
import type { RollupStore } from './store/rollup-store.js'

export interface RollupFlusherOptions {
  /** Names this consumer's positions in the store (one per consumer group). */
  consumer: string
  intervalMs?: number
  /** Called after the store committed (Kafka offsets follow the store). */
  afterCommit?: (positions: readonly Position[]) => Promise<void>
  onError?: (error: unknown) => void
}

/** Writes the state's deltas with their positions every `intervalMs`, one transaction at a time. */
export class RollupFlusher {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  flushes = 0

  constructor(private readonly state: AnalyticsState, private readonly store: RollupStore, private readonly options: RollupFlusherOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), this.options.intervalMs ?? 1_000)
  }

  /** Writes what is pending now; waits for a flush already running first. */
  async flush(): Promise<void> {
    while (this.running !== undefined) await this.running
    const delta = this.state.takeDelta()
    if (delta === undefined) return
    this.running = (async () => {
      try {
        await this.store.write(this.options.consumer, delta)
        this.flushes++
      } catch (error) {
        // Nothing was written: the delta goes back and the next flush retries it with newer data.
        this.state.restore(delta)
        this.options.onError?.(error)
        throw error
      }
      await this.options.afterCommit?.(delta.positions).catch((error: unknown) => this.options.onError?.(error))
    })().finally(() => {
      this.running = undefined
    })
    await this.running
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
  }
}
