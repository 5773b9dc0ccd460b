import { Cron } from 'croner'
import type { WarmScheduler } from './warm-scheduler.js'

/** In-process schedules (croner) for the embedded mode: fine for one process, fires in every process if several run. */
export class CronWarmScheduler implements WarmScheduler {
  private readonly crons = new Map<string, Cron>()
  private handler: ((target: string) => Promise<void>) | undefined

  schedule(target: string, cron: string): Promise<void> {
    this.crons.get(target)?.stop()
    this.crons.set(target, new Cron(cron, { protect: true }, () => this.handler?.(target)))
    return Promise.resolve()
  }

  start(handler: (target: string) => Promise<void>): Promise<void> {
    this.handler = handler
    return Promise.resolve()
  }

  close(): Promise<void> {
    for (const cron of this.crons.values()) cron.stop()
    this.crons.clear()
    return Promise.resolve()
  }
}
