import { Cron } from 'croner'
import type { InvalidationRequest, ScheduledPurge } from '@strata/invalidation'

/** Runs each scheduled purge on its interval or cron expression; a run that fails is reported and tried next time. */
export class ScheduledPurges {
  private readonly stops: (() => void)[] = []

  constructor(
    private readonly purges: readonly ScheduledPurge[],
    private readonly run: (request: InvalidationRequest) => Promise<unknown>,
    private readonly onError: (purge: ScheduledPurge, error: unknown) => void,
    private readonly clock: () => number,
  ) {}

  start(): void {
    for (const purge of this.purges) {
      const fire = () => {
        const request: InvalidationRequest = {
          namespace: purge.namespace,
          ...(purge.prefix === undefined ? { all: true } : { prefixes: [purge.prefix] }),
          trigger: 'schedule',
          rule: purge.name,
          occurredAt: this.clock(),
        }
        this.run(request).catch((error: unknown) => this.onError(purge, error))
      }
      if (purge.everyMs !== undefined) {
        const timer = setInterval(fire, purge.everyMs).unref()
        this.stops.push(() => clearInterval(timer))
      } else {
        const job = new Cron(purge.cron!, { unref: true }, fire)
        this.stops.push(() => job.stop())
      }
    }
  }

  stop(): void {
    for (const stop of this.stops.splice(0)) stop()
  }
}
