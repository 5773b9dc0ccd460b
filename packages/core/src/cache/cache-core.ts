import { randomUUID } from 'node:crypto'
import type { Codec } from '../codecs/codec.js'
import { jsonCodec } from '../codecs/json-codec.js'
import { msgpackCodec } from '../codecs/msgpack-codec.js'
import { StrataError } from '../errors/index.js'
import type { L2Store } from '../stores/l2-store.js'
import { CacheEvents } from './cache-events.js'
import { CacheHooks } from './cache-hooks.js'
import type { L1Tier, StoredEntry } from './l1-tier.js'
import type { InvalidationBus, InvalidationMessage, InvalidationOutbox, WriteBehindQueue } from './ports.js'
import { DEFAULT_RESILIENCE, ResilientL2, type ResilienceOptions } from './resilient-l2.js'
import { SingleFlight } from './single-flight.js'

export interface CacheCoreOptions {
  l1: L1Tier<StoredEntry> | undefined
  l1BoundedByBytes: boolean
  l2: L2Store | undefined
  bus: InvalidationBus | undefined
  outbox: InvalidationOutbox | undefined
  queue: WriteBehindQueue | undefined
  prefix: string
  /** Precise time: load start, tag records, versions. */
  clock: () => number
  /** Cheap time, at most ~1 ms behind: freshness checks on the hit path. */
  coarseClock: () => number
  resilience: Partial<ResilienceOptions> | undefined
}

/**
 * What every namespace of one cache shares: the tiers, in-flight loads, the event stream, the clock and the
 * version counter. Namespaces keep their own policy, tag records and stats.
 */
export class CacheCore {
  /** Identifies this instance on the bus so it ignores its own messages. */
  readonly instanceId = randomUUID()
  readonly events = new CacheEvents()
  readonly flights = new SingleFlight()
  readonly l1: L1Tier<StoredEntry> | undefined
  readonly l1BoundedByBytes: boolean
  readonly l2: ResilientL2 | undefined
  readonly bus: InvalidationBus | undefined
  readonly outbox: InvalidationOutbox | undefined
  readonly queue: WriteBehindQueue | undefined
  readonly prefix: string
  readonly now: () => number
  readonly coarseNow: () => number
  readonly codecs = new Map<number, Codec>([
    [jsonCodec.id, jsonCodec],
    [msgpackCodec.id, msgpackCodec],
  ])
  closed = false
  /**
   * True while a read may answer from the inlined L1-hit path: false once the cache is closed or a beforeGet hook is
   * registered, so the hit path tests one field for both and hooks cost it nothing when there are none.
   */
  fastReads = true
  readonly hooks = new CacheHooks(
    (error, where) => this.emitError(where.namespace, `hook:${where.stage}`, error, where.key),
    () => {
      this.fastReads = !this.closed && !this.hooks.active.beforeGet
    },
  )
  /**
   * Until when (coarse clock, epoch ms) an L1 copy may be served. Infinity unless the bus heartbeats; then the last
   * time the bus vouched for plus maxStalenessMs, so the L1-hit path pays one comparison for bounded staleness.
   */
  l1TrustedUntil = Infinity
  private lastVersion = 0
  /** Abort signal handed to loaders; aborted when the cache closes. */
  readonly lifetime = new AbortController()
  private readonly remoteHandlers = new Map<string, (message: InvalidationMessage) => void>()

  constructor(options: CacheCoreOptions) {
    this.l1 = options.l1
    this.l1BoundedByBytes = options.l1BoundedByBytes
    this.bus = options.bus
    this.outbox = options.outbox
    this.queue = options.queue
    this.prefix = options.prefix
    this.now = options.clock
    this.coarseNow = options.coarseClock
    this.l2 =
      options.l2 === undefined
        ? undefined
        : new ResilientL2(
            options.l2,
            { ...DEFAULT_RESILIENCE, ...options.resilience },
            (operation, error, key) => this.reportError('*', operation, error, key),
            (state) => this.events.emit('l2-circuit', { state }),
          )
  }

  /**
   * Versions grow strictly within this process and follow wall time across processes (microseconds), so the
   * latest write of a key wins in write-behind flushing and conditional requests. Integers: they are ETags, which a
   * client compares as strings (`"1796615223847477"`, never a fraction).
   */
  nextVersion(now: number = this.now()): number {
    const candidate = Math.floor(now * 1000)
    this.lastVersion = candidate > this.lastVersion ? candidate : this.lastVersion + 1
    return this.lastVersion
  }

  /** Marks the cache closed: every later call fails with E_CACHE_CLOSED. */
  markClosed(): void {
    this.closed = true
    this.fastReads = false
  }

  reportError(namespace: string, operation: string, error: StrataError, key?: string): void {
    if (this.hooks.active.error) this.hooks.run('error', key === undefined ? { namespace, operation, error } : { namespace, operation, key, error })
    this.emitError(namespace, operation, error, key)
  }

  /** The `error` event only: hook failures come here directly so a failing onError hook cannot call itself again. */
  private emitError(namespace: string, operation: string, error: StrataError, key?: string): void {
    if (this.events.has('error')) {
      this.events.emit('error', key === undefined ? { namespace, operation, error } : { namespace, operation, key, error })
    }
  }

  registerNamespace(namespace: string, handler: (message: InvalidationMessage) => void): void {
    this.remoteHandlers.set(namespace, handler)
  }

  unregisterNamespace(namespace: string): void {
    this.remoteHandlers.delete(namespace)
  }

  /** Applies an invalidation that another instance published (its L2 work is already done). */
  applyRemote(message: InvalidationMessage): void {
    if (message.origin === this.instanceId) return
    this.remoteHandlers.get(message.namespace)?.(message)
  }

  /**
   * Broadcasts an invalidation, or keeps it in the outbox for the relay when the bus cannot take it. Only when neither
   * holds it does the caller learn of it (E_BUS_UNAVAILABLE, a 503 at the gateway): an invalidation a caller was told
   * succeeded is never lost.
   */
  async publish(message: Omit<InvalidationMessage, 'origin'>): Promise<void> {
    if (this.bus === undefined) return
    const full = { ...message, origin: this.instanceId }
    try {
      await this.bus.publish(full)
      return
    } catch (error) {
      if (this.outbox === undefined) {
        throw new StrataError('E_BUS_UNAVAILABLE', `The invalidation of namespace '${message.namespace}' was applied to L2 but could not be broadcast to other instances; retry it`, {
          cause: error,
          context: { namespace: message.namespace },
        })
      }
      try {
        await this.outbox.append(full)
      } catch (kept) {
        throw new StrataError('E_BUS_UNAVAILABLE', `The invalidation of namespace '${message.namespace}' could neither be broadcast nor queued for broadcast; retry it`, {
          cause: kept,
          context: { namespace: message.namespace },
        })
      }
      this.reportError(message.namespace, 'publish', new StrataError('E_BUS_UNAVAILABLE', 'Publishing an invalidation failed; it waits in the outbox for the relay', { cause: error }))
    }
  }
}
