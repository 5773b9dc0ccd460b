/**
 * The write-behind buffer: the latest pending (acknowledged, not yet flushed) write of every key, coalesced in
 * place. It is the source of truth until the origin has a write: a key leaves it only when a flush of its current
 * version (or a dead letter of it) is settled, so a crash at any point loses nothing and at worst flushes a key
 * twice, which the origin's version guard turns into a no-op.
 *
 * Keys move through three states: dirty (ready to be claimed), leased (claimed into a flush job until
 * `leaseUntil`; if that job is lost, the lease lapses and the key is claimed again) and gone (settled).
 */
export interface PendingWrites {
  /**
   * Coalesces a write unless the buffer is over a limit (checked in the same atomic step). A write older than the
   * pending one of its key is acknowledged and dropped: the newer value wins either way.
   */
  put(write: PendingWrite, limits: BackpressureLimits, now: number): Promise<PutOutcome>
  /** Leases up to `max` ready keys, oldest pending write first. */
  claim(max: number, leaseMs: number, now: number): Promise<WriteRef[]>
  /** Extends the lease of keys a flush job is still working on (each retry renews it). */
  renew(refs: readonly WriteRef[], leaseMs: number, now: number): Promise<void>
  /** The current pending write of each key, or undefined for a key that was settled meanwhile. */
  read(refs: readonly WriteRef[]): Promise<Array<PendingWrite | undefined>>
  /**
   * Removes each key whose pending version is at most the given one (it reached the origin or a dead letter). A key
   * with a newer pending write stays, becomes ready again, and its lag is counted from that write. Returns how many
   * keys left the buffer.
   */
  settle(done: readonly VersionedRef[]): Promise<number>
  stats(now: number): Promise<PendingStats>
  /**
   * Removes the pending writes of `namespace` that carry `tag` and set a value (deletes stay: they erase at the
   * origin too), whatever their lease. Returns how many left the buffer.
   */
  discardTagged(namespace: string, tag: string): Promise<number>
}

export interface WriteRef {
  namespace: string
  key: string
}

export interface VersionedRef extends WriteRef {
  version: number
}

export interface PendingWrite extends VersionedRef {
  /** The value as given to `set`; null deletes the key at the origin. */
  value: unknown
  /** When the write was made (epoch ms). */
  at: number
  traceparent?: string
  /** The entry's tags (for erasure by tag). */
  tags?: readonly string[]
}

/** 0 means no limit. */
export interface BackpressureLimits {
  /** Keys with a pending write. */
  maxDepth: number
  /** Age of the oldest pending write, in ms. */
  maxLagMs: number
}

export type PutOutcome = { accepted: true } | { accepted: false; reason: 'depth' | 'lag'; depth: number; lagMs: number }

export interface PendingStats {
  /** Keys with a pending write (writes already coalesced). */
  depth: number
  /** When the oldest pending write was made, undefined when nothing is pending. */
  oldestAt: number | undefined
  /** Keys ready to be claimed (not leased). */
  ready: number
}

/** The buffer's field for a key; control characters are refused in namespaces and keys, so '\n' cannot collide. */
export function fieldOf(ref: WriteRef): string {
  return `${ref.namespace}\n${ref.key}`
}

export function refOf(field: string): WriteRef {
  const split = field.indexOf('\n')
  return { namespace: field.slice(0, split), key: field.slice(split + 1) }
}
