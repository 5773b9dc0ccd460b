import { setTimeout as sleep } from 'node:timers/promises'
import type { JobQueue, PendingWrites } from '@strata/queue'
import type { DeadWrite } from '../write-behind-flusher.js'

export interface ReplayOptions {
  deadLetters: JobQueue<DeadWrite>
  pending: PendingWrites
  clock?: () => number
  /** Dead writes moved per round trip (default 100). */
  batchSize?: number
}

export interface ReplayOutcome {
  /** Dead writes put back into the buffer (a newer pending write of the same key wins there, as on any put). */
  replayed: number
  /** Dead writes still waiting when the replay ended (added while it ran). */
  left: number
}

/**
 * Puts every dead write back into the write-behind buffer, where the flusher picks it up like any pending write.
 * A dead write leaves its queue only once the buffer holds it (the worker's job completes after the put), so a crash
 * mid-replay loses nothing. Replaying is safe after the origin moved on: the buffer keeps the newer of two pending
 * versions, and the origin's version guard ignores a write older than the row it has.
 */
export async function replayDeadWrites(options: ReplayOptions): Promise<ReplayOutcome> {
  const clock = options.clock ?? Date.now
  let replayed = 0
  // Writes the buffer at any depth: these were acknowledged long ago, and refusing them now would only drop them.
  const noLimits = { maxDepth: 0, maxLagMs: 0 }
  const worker = options.deadLetters.process(
    async (jobs) => {
      for (const { data } of jobs) {
        // The original producer's context goes back too: the replayed flush joins (or links to) the request's trace.
        const write = { namespace: data.namespace, key: data.key, version: data.version, at: data.at, value: data.value }
        await options.pending.put(data.traceparent === undefined ? write : { ...write, traceparent: data.traceparent }, noLimits, clock())
      }
      replayed += jobs.length
    },
    { batchSize: options.batchSize ?? 100 },
  )
  try {
    // The worker takes jobs until the queue is empty; a job in progress still counts as active.
    for (;;) {
      const counts = await options.deadLetters.counts()
      if (counts.waiting === 0 && counts.active === 0) break
      await sleep(20)
    }
  } finally {
    await worker.close()
  }
  return { replayed, left: (await options.deadLetters.counts()).waiting }
}
