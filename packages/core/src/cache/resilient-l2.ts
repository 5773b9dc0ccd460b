import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
  IsolatedCircuitError,
  type CircuitBreakerPolicy,
} from 'cockatiel'
import { StrataError, isStrataError } from '../errors/index.js'
import type { L2ScanOptions, L2ScanPage, L2SetEntry, L2Store } from '../stores/l2-store.js'

export interface ResilienceOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number
  /** How long the circuit stays open before one probe call is let through. */
  halfOpenAfterMs: number
  /** Invalidations kept for replay while L2 is down; past this the oldest are dropped and reported. */
  maxPendingInvalidations: number
}

export const DEFAULT_RESILIENCE: ResilienceOptions = {
  failureThreshold: 3,
  halfOpenAfterMs: 1_000,
  maxPendingInvalidations: 100_000,
}

/** The fallback of a read that must not pass for a miss. */
const UNREACHABLE = Symbol('l2-unreachable')

type PendingInvalidation = { kind: 'delete'; key: string } | { kind: 'set'; entry: L2SetEntry }

export type LeaseOutcome = 'acquired' | 'busy' | 'unavailable'

/**
 * L2 as the engine uses it: never throws. A circuit breaker (cockatiel) stops calling a store that keeps failing, so
 * the cache serves from L1 and the loader at full speed during an outage and probes L2 again by itself. Reads that
 * cannot reach L2 are misses; writes are dropped (L1 still has them) but leave a delete of their key; invalidations are
 * kept and replayed once L2 answers again, so an outage never lets a deleted or overwritten value come back.
 */
export class ResilientL2 {
  private readonly breaker: CircuitBreakerPolicy
  private readonly pending = new Map<string, PendingInvalidation>()
  private replaying = false
  private lastReplayAt = 0

  constructor(
    readonly store: L2Store,
    private readonly options: ResilienceOptions,
    private readonly report: (operation: string, error: StrataError, key?: string) => void,
    onCircuit: (state: 'open' | 'closed' | 'half-open') => void,
  ) {
    this.breaker = circuitBreaker(handleAll, {
      halfOpenAfter: options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.failureThreshold),
    })
    this.breaker.onBreak(() => onCircuit('open'))
    this.breaker.onHalfOpen(() => onCircuit('half-open'))
    this.breaker.onReset(() => {
      onCircuit('closed')
      void this.replay()
    })
  }

  get name(): string {
    return this.store.name
  }

  get available(): boolean {
    return this.breaker.state !== CircuitState.Open
  }

  get pendingInvalidations(): number {
    return this.pending.size
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.call('get', () => this.store.get(key), undefined, key)
  }

  /**
   * Like `get`, but an L2 that cannot be asked throws E_L2_UNAVAILABLE instead of answering a miss: for reads where
   * "absent" decides something (a conditional write's check), which a failover must not answer for it.
   */
  async getOrFail(key: string): Promise<Uint8Array | undefined> {
    const bytes = await this.call('get', () => this.store.get(key), UNREACHABLE, key)
    if (bytes === UNREACHABLE) throw new StrataError('E_L2_UNAVAILABLE', `L2 store '${this.store.name}' could not be read`, { context: { store: this.store.name, key } })
    return bytes
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    if (keys.length === 0) return []
    return this.call('getMany', () => this.store.getMany(keys), keys.map(() => undefined))
  }

  /**
   * A write L2 did not take leaves the value it replaced there (a promoted replica or a persistent server still holds
   * it), which every other instance would then read as current: a delete of the key is kept and replayed on recovery,
   * so L2 misses (and readers go to the origin) rather than answer the old value. A later write that L2 takes
   * supersedes the kept delete.
   */
  async set(entry: L2SetEntry): Promise<void> {
    const ok = await this.call('set', () => this.store.set(entry.key, entry.value, entry.ttlMs).then(() => true), false, entry.key)
    this.afterWrite(ok, [entry.key])
  }

  async setMany(entries: readonly L2SetEntry[]): Promise<void> {
    if (entries.length === 0) return
    const ok = await this.call('setMany', () => this.store.setMany(entries).then(() => true), false)
    this.afterWrite(
      ok,
      entries.map((entry) => entry.key),
    )
  }

  /** Writes a record that must not be lost (tag invalidation time): kept for replay when L2 is down. */
  async setDurable(entry: L2SetEntry): Promise<void> {
    const ok = await this.call('set', () => this.store.set(entry.key, entry.value, entry.ttlMs).then(() => true), false, entry.key)
    if (!ok) this.keep({ kind: 'set', entry }, entry.key)
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return
    const ok = await this.call('deleteMany', () => this.store.deleteMany(keys).then(() => true), false)
    if (!ok) for (const key of keys) this.keep({ kind: 'delete', key }, key)
  }

  /**
   * deleteMany, answering how many of the keys had a value: one call where the store counts as it deletes
   * (`deleteManyCounted`), else a `getMany` first. Undefined when that one call failed (the delete is kept for replay,
   * as deleteMany keeps it).
   */
  async deleteManyCounted(keys: readonly string[]): Promise<number | undefined> {
    if (keys.length === 0) return 0
    const store = this.store
    if (store.deleteManyCounted === undefined) {
      const found = (await this.getMany([...new Set(keys)])).filter((bytes) => bytes !== undefined).length
      await this.deleteMany(keys)
      return found
    }
    const found = await this.call('deleteMany', () => store.deleteManyCounted!(keys), undefined)
    if (found === undefined) for (const key of keys) this.keep({ kind: 'delete', key }, key)
    return found
  }

  async clear(prefix: string): Promise<void> {
    await this.call('clear', () => this.store.clear(prefix), undefined)
  }

  /** Keys under `prefix`, or undefined when the store cannot count or is unreachable. */
  async count(prefix: string): Promise<number | undefined> {
    const store = this.store
    if (store.count === undefined) return undefined
    return this.call('count', () => store.count!(prefix), undefined)
  }

  /** Whether the store can list its keys (`scan`); Memcached cannot. */
  get canScan(): boolean {
    return this.store.scan !== undefined
  }

  /**
   * One page of keys under `prefix`. Unlike the engine's calls this one throws (E_L2_UNAVAILABLE, E_INVALID_CURSOR):
   * it serves an admin view, which should say why it is empty, and it stays out of the circuit breaker, so a bad
   * cursor does not count as an L2 failure.
   */
  async scan(prefix: string, options: L2ScanOptions): Promise<L2ScanPage> {
    const store = this.store
    if (store.scan === undefined) throw new StrataError('E_UNSUPPORTED_BY_STORE', `The ${store.name} store cannot list its keys`, { context: { store: store.name } })
    try {
      return await store.scan(prefix, options)
    } catch (error) {
      throw toL2Error(error, store.name)
    }
  }

  async acquireLease(key: string, token: string, ttlMs: number): Promise<LeaseOutcome> {
    return this.call(
      'acquireLease',
      async () => ((await this.store.acquireLease(key, token, ttlMs)) ? 'acquired' : 'busy'),
      'unavailable' as const,
      key,
    )
  }

  /**
   * True when written under the lease, false when the lease was lost (an invalidation won), undefined if L2 is down:
   * then, as for `set`, a delete of the key is kept for replay, so the value it replaced does not stay current in L2.
   */
  async setWithLease(entry: L2SetEntry, token: string): Promise<boolean | undefined> {
    const written = await this.call('setWithLease', () => this.store.setWithLease(entry.key, token, entry.value, entry.ttlMs), undefined, entry.key)
    if (written !== false) this.afterWrite(written === true, [entry.key])
    return written
  }

  /** True when deleted under the lease, false when the lease was lost (something changed the key), undefined if L2 is down. */
  async deleteWithLease(key: string, token: string): Promise<boolean | undefined> {
    return this.call('deleteWithLease', () => this.store.deleteWithLease(key, token), undefined, key)
  }

  async releaseLease(key: string, token: string): Promise<void> {
    await this.call('releaseLease', () => this.store.releaseLease(key, token), undefined, key)
  }

  async ping(): Promise<boolean> {
    try {
      await this.store.ping()
      return true
    } catch {
      return false
    }
  }

  private async call<T, F>(operation: string, run: () => Promise<T>, fallback: F, key?: string): Promise<T | F> {
    try {
      const result = await this.breaker.execute(run)
      // A partial outage (one Redis Cluster shard failing over) may never open the circuit, or close it again on a
      // success elsewhere before the lost shard is back: kept invalidations are then retried after later successes
      // too, at most once per halfOpenAfterMs, not only when the circuit closes.
      if (this.pending.size > 0 && !this.replaying && Date.now() - this.lastReplayAt >= this.options.halfOpenAfterMs) void this.replay()
      return result
    } catch (error) {
      // An open circuit is the expected state of an outage, already reported when it opened.
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) return fallback
      this.report(operation, toL2Error(error, this.store.name), key)
      return fallback
    }
  }

  private afterWrite(ok: boolean, keys: readonly string[]): void {
    for (const key of keys) {
      if (!ok) this.keep({ kind: 'delete', key }, key)
      else if (this.pending.get(key)?.kind === 'delete') this.pending.delete(key)
    }
  }

  private keep(item: PendingInvalidation, key: string): void {
    // Latest intent per key wins: a delete after a kept set replaces it, and the map stays bounded by the keyspace.
    this.pending.delete(key)
    this.pending.set(key, item)
    if (this.pending.size > this.options.maxPendingInvalidations) {
      const oldest = this.pending.keys().next().value as string
      this.pending.delete(oldest)
      this.report(
        'replay',
        new StrataError('E_L2_UNAVAILABLE', 'Too many invalidations pending while L2 is down; the oldest was dropped', {
          context: { store: this.store.name, limit: this.options.maxPendingInvalidations },
        }),
        oldest,
      )
    }
  }

  /** Replays kept invalidations (circuit closed, or a later success); whatever fails again stays kept for the next try. */
  private async replay(): Promise<void> {
    if (this.replaying || this.pending.size === 0) return
    this.replaying = true
    this.lastReplayAt = Date.now()
    try {
      const batch = [...this.pending.values()]
      this.pending.clear()
      const deletes = batch.flatMap((item) => (item.kind === 'delete' ? [item.key] : []))
      const sets = batch.flatMap((item) => (item.kind === 'set' ? [item.entry] : []))
      await this.deleteMany(deletes)
      for (const entry of sets) await this.setDurable(entry)
    } finally {
      this.replaying = false
    }
  }
}

function toL2Error(error: unknown, store: string): StrataError {
  if (isStrataError(error)) return error
  return new StrataError('E_L2_UNAVAILABLE', `L2 store '${store}' failed: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
    context: { store },
  })
}
