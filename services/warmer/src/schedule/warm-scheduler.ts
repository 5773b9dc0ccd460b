/**
 * The schedule port: fires `target` on its cron pattern. The BullMQ adapter keeps schedules in the queue Redis (one
 * job scheduler per target, so several warmer processes fire each schedule once between them); the in-process adapter
 * (croner) serves the embedded single-process mode.
 */
export interface WarmScheduler {
  /** Creates or replaces the schedule of `target`. */
  schedule(target: string, cron: string): Promise<void>
  /** Starts handling fired schedules; a handler failure is retried by the adapter's rules. */
  start(handler: (target: string) => Promise<void>): Promise<void>
  close(): Promise<void>
}
