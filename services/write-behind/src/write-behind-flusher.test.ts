import { setTimeout as sleep } from 'node:timers/promises'
import { MemoryJobQueue, MemoryPendingWrites, type QueueCounts } from '@strata/queue'
import { describe, expect, it } from 'vitest'
import type { FlushOrigin, FlushOutcome, FlushRecord } from './origins/flush-origin.js'
import { WriteBehindFlusher, type DeadWrite, type FlushJob } from './write-behind-flusher.js'

/** The in-process job queue, counting how often the dispatcher asks for its counts. */
class CountedJobQueue extends MemoryJobQueue<FlushJob> {
  asked = 0
  override counts(): Promise<QueueCounts> {
    this.asked++
    return super.counts()
  }
}

/** An origin kept in a Map, as the PostgreSQL origin keeps rows: the newest version of each key. */
class MapOrigin implements FlushOrigin {
  readonly kind = 'map'
  readonly rows = new Map<string, FlushRecord>()
  write(records: readonly FlushRecord[]): Promise<FlushOutcome> {
    for (const record of records) {
      const row = this.rows.get(record.key)
      if (row === undefined || row.version < record.version) this.rows.set(record.key, record)
    }
    return Promise.resolve({ rejected: [] })
  }
  ping(): Promise<boolean> {
    return Promise.resolve(true)
  }
  close(): Promise<void> {
    return Promise.resolve()
  }
}

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 5_000) throw new Error('timed out')
    await sleep(5)
  }
}

describe('WriteBehindFlusher dispatch', () => {
  it('an idle dispatcher polls only the buffer, and checks the job queue again once keys flow', async () => {
    const pending = new MemoryPendingWrites()
    const jobs = new CountedJobQueue('flush')
    const origin = new MapOrigin()
    const flusher = new WriteBehindFlusher({ name: 'wb', pending, jobs, deadLetters: new MemoryJobQueue<DeadWrite>('dead'), origin, intervalMs: 5 })
    flusher.start()
    try {
      await sleep(100)
      // About 20 polls of an empty buffer: the job queue was asked once, before the first (empty) claim.
      expect(jobs.asked).toBe(1)

      const none = { maxDepth: 0, maxLagMs: 0 }
      for (const key of ['a', 'b', 'c']) await pending.put({ namespace: 'ns', key, version: 1, at: Date.now(), value: key }, none, Date.now())
      await until(() => origin.rows.size === 3)
      await until(() => jobs.asked > 1)
      const asked = jobs.asked
      await sleep(100)
      expect(jobs.asked).toBe(asked)
    } finally {
      await flusher.stop()
    }
  })
})
