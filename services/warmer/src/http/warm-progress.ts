import type { WarmEvent } from '@strata/bus'

/** What the warmer did, per target: counters since start and the last finished run (for /metrics and /v1/targets). */
export class WarmProgress {
  private readonly runs = new Map<string, number>()
  private readonly items = new Map<string, { loaded: number; cached: number; failed: number }>()
  private readonly last = new Map<string, WarmEvent>()
  private readonly running = new Set<string>()

  readonly record = (event: WarmEvent): void => {
    if (event.state === 'started') {
      this.running.add(event.runId)
      return
    }
    this.running.delete(event.runId)
    const runKey = `${event.target}\n${event.trigger}`
    this.runs.set(runKey, (this.runs.get(runKey) ?? 0) + 1)
    const items = this.items.get(event.target) ?? { loaded: 0, cached: 0, failed: 0 }
    items.loaded += event.loaded
    items.cached += event.cached
    items.failed += event.failed
    this.items.set(event.target, items)
    this.last.set(event.target, event)
  }

  get inProgress(): number {
    return this.running.size
  }

  lastRun(target: string): WarmEvent | undefined {
    return this.last.get(target)
  }

  runCounts(): Array<{ target: string; trigger: string; runs: number }> {
    return [...this.runs].map(([key, runs]) => {
      const [target = '', trigger = ''] = key.split('\n')
      return { target, trigger, runs }
    })
  }

  itemCounts(): Array<{ target: string; loaded: number; cached: number; failed: number }> {
    return [...this.items].map(([target, counts]) => ({ target, ...counts }))
  }

  lastRuns(): WarmEvent[] {
    return [...this.last.values()]
  }
}
