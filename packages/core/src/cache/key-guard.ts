import { randomUUID } from 'node:crypto'
import { StrataError } from '../errors/index.js'
import type { CacheEntry } from '../model/cache-entry.js'
import type { ResilientL2 } from './resilient-l2.js'
import { sleep } from './timing.js'

/**
 * What a conditional write checks against the entry as it is under the guard (undefined: no live entry). True lets
 * the write happen; false or a reason refuses it with E_PRECONDITION_FAILED.
 */
export type WriteCondition<T> = (current: CacheEntry<T> | undefined) => boolean | string

/**
 * Serialises the conditional writes of one key. Across instances sharing L2 it holds the key's L2 lease — the same
 * lease a fleet-wide load takes, which any plain set, delete or invalidation of the key breaks — so a check and the
 * write that follows it are one step for every other conditional writer. Within one process (and without L2) a local
 * lock queues them first, so they do not spin on the lease against each other.
 */
export class KeyGuard {
  private readonly local = new Map<string, Promise<void>>()

  constructor(
    private readonly l2: ResilientL2 | undefined,
    private readonly now: () => number,
  ) {}

  /**
   * Runs `work` holding `key`; `leaseToken` is the L2 lease to write under (undefined without L2). Waits for the
   * lease up to `leaseTtlMs` (a fill or another writer holds it at most that long), then fails with E_WRITE_CONFLICT;
   * E_L2_UNAVAILABLE when L2 cannot be asked (a conditional write cannot be vouched for then).
   */
  async hold<R>(key: string, l2Key: string, leaseTtlMs: number, work: (leaseToken: string | undefined) => Promise<R>): Promise<R> {
    return this.locally(key, async () => {
      const l2 = this.l2
      if (l2 === undefined) return work(undefined)
      const token = await this.acquire(l2, key, l2Key, leaseTtlMs)
      try {
        return await work(token)
      } finally {
        // A no-op when the write consumed the lease (setWithLease releases it) or something else broke it.
        await l2.releaseLease(l2Key, token)
      }
    })
  }

  private async acquire(l2: ResilientL2, key: string, l2Key: string, leaseTtlMs: number): Promise<string> {
    const token = randomUUID()
    const deadline = this.now() + leaseTtlMs
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      const outcome = await l2.acquireLease(l2Key, token, leaseTtlMs)
      if (outcome === 'acquired') return token
      if (outcome === 'unavailable') {
        throw new StrataError('E_L2_UNAVAILABLE', `A conditional write of '${key}' needs L2, which cannot be reached`, { context: { key } })
      }
      if (this.now() >= deadline) {
        throw new StrataError('E_WRITE_CONFLICT', `'${key}' stayed held by another writer or fill for ${leaseTtlMs} ms; retry`, { context: { key } })
      }
      await sleep(delay)
    }
  }

  private async locally<R>(key: string, work: () => Promise<R>): Promise<R> {
    const previous = this.local.get(key) ?? Promise.resolve()
    let release!: () => void
    const mine = new Promise<void>((resolve) => (release = resolve))
    const tail = previous.then(() => mine)
    this.local.set(key, tail)
    await previous
    try {
      return await work()
    } finally {
      release()
      if (this.local.get(key) === tail) this.local.delete(key)
    }
  }
}
