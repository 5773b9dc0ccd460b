import { fieldOf, refOf, type BackpressureLimits, type PendingStats, type PendingWrite, type PendingWrites, type PutOutcome, type VersionedRef, type WriteRef } from './pending-writes.js'

interface Slot {
  write: PendingWrite
  /** When the oldest unflushed write of this key was made. */
  since: number
  /** Claimable when <= now: the write time while dirty, the lease end while a flush job holds it. */
  readyAt: number
}

/** The write-behind buffer in process memory, for the embedded default and unit tests. Not durable. */
export class MemoryPendingWrites implements PendingWrites {
  private readonly slots = new Map<string, Slot>()

  put(write: PendingWrite, limits: BackpressureLimits, now: number): Promise<PutOutcome> {
    const field = fieldOf(write)
    const slot = this.slots.get(field)
    if (slot !== undefined && slot.write.version >= write.version) return Promise.resolve({ accepted: true })
    if (slot === undefined && limits.maxDepth > 0 && this.slots.size >= limits.maxDepth) {
      return Promise.resolve({ accepted: false, reason: 'depth', depth: this.slots.size, lagMs: this.lag(now) })
    }
    const lagMs = limits.maxLagMs > 0 ? this.lag(now) : 0
    if (limits.maxLagMs > 0 && lagMs > limits.maxLagMs) {
      return Promise.resolve({ accepted: false, reason: 'lag', depth: this.slots.size, lagMs })
    }
    if (slot === undefined) this.slots.set(field, { write, since: write.at, readyAt: write.at })
    else slot.write = write
    return Promise.resolve({ accepted: true })
  }

  claim(max: number, leaseMs: number, now: number): Promise<WriteRef[]> {
    const ready = [...this.slots.entries()].filter(([, slot]) => slot.readyAt <= now).sort((a, b) => a[1].readyAt - b[1].readyAt)
    return Promise.resolve(
      ready.slice(0, max).map(([field, slot]) => {
        slot.readyAt = now + leaseMs
        return refOf(field)
      }),
    )
  }

  renew(refs: readonly WriteRef[], leaseMs: number, now: number): Promise<void> {
    for (const ref of refs) {
      const slot = this.slots.get(fieldOf(ref))
      if (slot !== undefined) slot.readyAt = now + leaseMs
    }
    return Promise.resolve()
  }

  read(refs: readonly WriteRef[]): Promise<Array<PendingWrite | undefined>> {
    return Promise.resolve(refs.map((ref) => this.slots.get(fieldOf(ref))?.write))
  }

  settle(done: readonly VersionedRef[]): Promise<number> {
    let removed = 0
    for (const ref of done) {
      const field = fieldOf(ref)
      const slot = this.slots.get(field)
      if (slot === undefined) continue
      if (slot.write.version <= ref.version) {
        this.slots.delete(field)
        removed++
      } else {
        slot.since = slot.write.at
        slot.readyAt = slot.write.at
      }
    }
    return Promise.resolve(removed)
  }

  discardTagged(namespace: string, tag: string): Promise<number> {
    let removed = 0
    for (const [field, slot] of this.slots) {
      const { write } = slot
      if (write.namespace === namespace && write.value !== null && write.tags?.includes(tag) === true) {
        this.slots.delete(field)
        removed++
      }
    }
    return Promise.resolve(removed)
  }

  stats(now: number): Promise<PendingStats> {
    let oldestAt: number | undefined
    let ready = 0
    for (const slot of this.slots.values()) {
      if (oldestAt === undefined || slot.since < oldestAt) oldestAt = slot.since
      if (slot.readyAt <= now) ready++
    }
    return Promise.resolve({ depth: this.slots.size, oldestAt, ready })
  }

  private lag(now: number): number {
    let oldest = Infinity
    for (const slot of this.slots.values()) oldest = Math.min(oldest, slot.since)
    return oldest === Infinity ? 0 : Math.max(0, now - oldest)
  }
}
