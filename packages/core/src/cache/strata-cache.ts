import { jsonCodec } from '../codecs/json-codec.js'
import { StrataError } from '../errors/index.js'
import { CoarseClock } from '../l1/expiry/coarse-clock.js'
import { MemoryTier } from '../l1/index.js'
import { DEFAULT_POLICY, resolvePolicy, validatePolicy, type CachePolicy, type L1Options } from '../model/cache-policy.js'
import type { L2Store } from '../stores/l2-store.js'
import { CacheCore } from './cache-core.js'
import type { CacheHook } from './cache-hooks.js'
import type { StoredEntry } from './l1-tier.js'
import { DEFAULT_NAMESPACE, assertNamespace, splitL1Key } from './key-space.js'
import { NamespaceCache } from './namespace-cache.js'
import type { NamespaceOptions } from './namespace-types.js'
import type { InvalidationBus, InvalidationOutbox, WriteBehindQueue } from './ports.js'
import type { ResilienceOptions } from './resilient-l2.js'
import { highResolutionNow } from './timing.js'

export interface CreateCacheOptions {
  /** Prefix of every L2 key, so several applications can share one Redis. Default `strata`. */
  prefix?: string
  /** The in-process tier; `false` for L2 only. Default: 10,000 entries, adaptive W-TinyLFU. */
  l1?: L1Options | false
  /** The shared tier (`redisStore`, `memcachedStore`, `memoryStore`); none for an L1-only cache. */
  l2?: L2Store
  /** Carries invalidations between instances so every L1 follows (Kafka or in-process). */
  bus?: InvalidationBus
  /**
   * Keeps invalidations the bus could not take (a Redis list: `redisInvalidationOutbox` from `@strata/core/redis`) and
   * relays them once it takes them again. Without one, a write or invalidation whose broadcast failed rejects with
   * E_BUS_UNAVAILABLE after applying to L2.
   */
  outbox?: InvalidationOutbox
  /**
   * With a heartbeating bus (Kafka): the longest an instance serves an L1 copy after it last heard the invalidation
   * stream, ms (default 2 s). Past it, L1 reads go to L2; when the stream is heard again L1 is dropped. This is the
   * staleness bound under any fault of the bus.
   */
  maxStalenessMs?: number
  /** How often the outbox is checked for invalidations to relay, ms (default 250). */
  outboxRelayMs?: number
  /** Receives write-behind writes durably. */
  queue?: WriteBehindQueue
  /** Defaults for every namespace. */
  policy?: Partial<CachePolicy>
  /** Per-namespace policies and hooks, created up front. */
  namespaces?: Record<string, NamespaceOptions>
  /** Circuit breaker around L2. */
  resilience?: Partial<ResilienceOptions>
  /** Epoch milliseconds; injectable for tests. */
  clock?: () => number
  /** Plugins called at fixed points of every namespace (see `use`). */
  hooks?: readonly CacheHook[]
}

const TAG_PRUNE_INTERVAL_MS = 60_000

/**
 * A Strata cache: the `default` namespace plus any others, over one L1, one L2, one bus and one queue.
 *
 *   const cache = createCache({ l2: redisStore({ url }) })
 *   const user = await cache.namespace('users', { ttl: 60_000, grace: 600_000 }).getOrSet(id, () => db.user(id))
 */
export class StrataCache<T = unknown> extends NamespaceCache<T> {
  private readonly namespaces = new Map<string, NamespaceCache<unknown>>()
  private readonly basePolicy: CachePolicy
  private unsubscribe: (() => Promise<void>) | undefined
  private readonly pruneTimer: NodeJS.Timeout
  private readonly relayTimer: NodeJS.Timeout | undefined
  private relaying = false
  private readonly maxStalenessMs: number
  private heardOnce = false
  private subscribed = false
  /** Resolves once the cache listens to its bus (immediately without one). */
  readonly ready: Promise<void>

  constructor(core: CacheCore, basePolicy: CachePolicy, options: CreateCacheOptions) {
    super(core, DEFAULT_NAMESPACE, basePolicy)
    this.basePolicy = basePolicy
    for (const hook of options.hooks ?? []) core.hooks.use(hook)
    this.namespaces.set(DEFAULT_NAMESPACE, this as unknown as NamespaceCache<unknown>)
    for (const [name, namespaceOptions] of Object.entries(options.namespaces ?? {})) this.namespace(name, namespaceOptions)
    this.maxStalenessMs = options.maxStalenessMs ?? 2_000
    if (core.bus?.heartbeatMs !== undefined && this.maxStalenessMs < 3 * core.bus.heartbeatMs) {
      throw new StrataError('E_INVALID_OPTION', `maxStalenessMs (${this.maxStalenessMs}) must be at least 3 bus heartbeats (${3 * core.bus.heartbeatMs} ms)`, {
        context: { option: 'maxStalenessMs' },
      })
    }
    this.ready = this.listen()
    this.pruneTimer = setInterval(() => this.pruneAllTagRecords(), TAG_PRUNE_INTERVAL_MS).unref()
    this.relayTimer = core.outbox === undefined || core.bus === undefined ? undefined : setInterval(() => void this.relayOutbox(), options.outboxRelayMs ?? 250).unref()
  }

  /** True once the cache follows its bus (always true without one): what readiness waits for. */
  get listening(): boolean {
    return this.core.bus === undefined || this.subscribed
  }

  /**
   * Until when (epoch ms) this instance may serve L1 copies: Infinity without a heartbeating bus; in the past while
   * it has not heard the invalidation stream within maxStalenessMs.
   */
  get l1TrustedUntil(): number {
    return this.core.l1TrustedUntil
  }

  /** The namespace `name`, created with `options` on first use; later calls return the same instance. */
  namespace<U = unknown>(name: string, options?: NamespaceOptions<U>): NamespaceCache<U> {
    assertNamespace(name)
    const existing = this.namespaces.get(name)
    if (existing !== undefined) {
      // Silently ignoring a different policy would hide a configuration mistake.
      if (options !== undefined && !existing.matches(options as NamespaceOptions<unknown>)) {
        throw new StrataError('E_INVALID_OPTION', `Namespace '${name}' already exists with another policy or hooks`, {
          context: { namespace: name },
        })
      }
      return existing as NamespaceCache<U>
    }
    const { loader, writer, ...overrides } = options ?? {}
    const policy = resolvePolicy(this.basePolicy, overrides)
    const created = new NamespaceCache<U>(this.core, name, policy, { loader, writer })
    this.namespaces.set(name, created as NamespaceCache<unknown>)
    return created
  }

  /**
   * Creates namespace `name`, or replaces its policy and hooks (an administrator changed them). Stored entries stay
   * and are read under the new policy; tag invalidations and counters carry over. The `default` namespace is fixed.
   */
  defineNamespace<U = unknown>(name: string, options: NamespaceOptions<U> = {}): NamespaceCache<U> {
    assertNamespace(name)
    if (name === DEFAULT_NAMESPACE) {
      throw new StrataError('E_INVALID_OPTION', `The '${DEFAULT_NAMESPACE}' namespace takes its policy from createCache`, {
        context: { namespace: name },
      })
    }
    const { loader, writer, ...overrides } = options
    const policy = resolvePolicy(this.basePolicy, overrides)
    const created = new NamespaceCache<U>(this.core, name, policy, { loader, writer }, this.namespaces.get(name))
    this.namespaces.set(name, created as NamespaceCache<unknown>)
    return created
  }

  /**
   * Forgets namespace `name` in this instance: later `namespace(name)` calls start afresh. Its stored entries are
   * not touched (call `clear()` on it first to drop them). False when there was no such namespace.
   */
  removeNamespace(name: string): boolean {
    if (name === DEFAULT_NAMESPACE || !this.namespaces.delete(name)) return false
    this.core.unregisterNamespace(name)
    return true
  }

  /**
   * Registers a hook for every namespace of this cache; returns its removal. Hooks run by `order`, then in
   * registration order; one that throws or rejects is reported (an `error` event, code E_HOOK_FAILED) and skipped.
   */
  use(hook: CacheHook): () => void {
    return this.core.hooks.use(hook)
  }

  /** The registered hooks, in the order they were registered. */
  listHooks(): CacheHook[] {
    return this.core.hooks.list()
  }

  /** How many times a hook threw or rejected (also reported one by one as `error` events). */
  get hookFailures(): number {
    return this.core.hooks.failures
  }

  listNamespaces(): string[] {
    return [...this.namespaces.keys()]
  }

  /** Routes an L1 removal to its namespace's counters and listeners. */
  onL1Removal(l1Key: string, cause: 'evicted' | 'expired' | 'replaced' | 'deleted' | 'cleared'): void {
    if (cause !== 'evicted' && cause !== 'expired') return
    const { namespace: name, key } = splitL1Key(l1Key)
    const namespace = this.namespaces.get(name)
    if (namespace === undefined) return
    namespace.countRemoval(cause)
    if (this.core.hooks.active.evict) this.core.hooks.run('evict', { namespace: name, key, cause })
    if (this.core.events.has('evict')) this.core.events.emit('evict', { namespace: name, key, cause })
  }

  /**
   * How many L1 entries each namespace holds (one pass over L1's keys: for dashboards polling every few seconds, not
   * for a hot path). Namespaces without entries are left out.
   */
  l1EntriesByNamespace(): Map<string, number> {
    const counts = new Map<string, number>()
    const l1 = this.core.l1
    if (l1 === undefined) return counts
    for (const l1Key of l1.keys()) {
      const name = splitL1Key(l1Key).namespace
      counts.set(name, (counts.get(name) ?? 0) + 1)
    }
    return counts
  }

  /** Health of the tiers, for readiness probes. */
  async health(): Promise<{ l1: { entries: number }; l2?: { name: string; reachable: boolean; circuit: 'open' | 'closed'; pendingInvalidations: number } }> {
    const l1 = { entries: this.core.l1?.size ?? 0 }
    const l2 = this.core.l2
    if (l2 === undefined) return { l1 }
    return {
      l1,
      l2: { name: l2.name, reachable: await l2.ping(), circuit: l2.available ? 'closed' : 'open', pendingInvalidations: l2.pendingInvalidations },
    }
  }

  /**
   * Invalidations accepted while L2 was unreachable and not applied there yet (they are replayed on recovery, from
   * this process's memory). A caller that must not lose one across a crash — the invalidator — checks it is 0.
   */
  get pendingL2Invalidations(): number {
    return this.core.l2?.pendingInvalidations ?? 0
  }

  /** Stops listening, aborts loaders' signals and closes the L2 connections the cache opened. */
  async close(): Promise<void> {
    if (this.core.closed) return
    this.core.markClosed()
    clearInterval(this.pruneTimer)
    clearInterval(this.relayTimer)
    this.core.lifetime.abort()
    await this.ready.catch(() => undefined)
    await this.unsubscribe?.()
    await this.core.l2?.store.disconnect()
    await this.core.outbox?.close?.()
  }

  private async listen(): Promise<void> {
    const bus = this.core.bus
    if (bus === undefined) return
    const bounded = bus.heartbeatMs !== undefined
    // Nothing in L1 is served until the stream is heard for the first time.
    if (bounded) this.core.l1TrustedUntil = 0
    this.unsubscribe = await bus.subscribe(
      (message) => this.core.applyRemote(message),
      (reason) => this.dropL1AfterGap(reason),
      bounded ? (upTo) => this.heard(upTo) : undefined,
    )
    // What L1 took before the subscription was live may have missed an invalidation published meanwhile.
    if (bounded) this.core.l1?.clear()
    this.subscribed = true
    // Ready once L1 is usable too (the first beat read back), within a few beats; past that L1 waits, reads do not.
    if (bounded) {
      const deadline = Date.now() + 10 * (bus.heartbeatMs ?? 0)
      while (!this.heardOnce && Date.now() < deadline && !this.core.closed) await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  /**
   * The bus vouches for every invalidation published before `upTo`. After a lapse (the stream unheard past the bound),
   * L1 is dropped before it is trusted again: an invalidation acknowledged during the lapse may never reach this
   * instance in order (it waits in an outbox), and reads during the lapse went to L2 anyway.
   */
  private heard(upTo: number): void {
    const now = this.core.coarseNow()
    if (now >= this.core.l1TrustedUntil && this.heardOnce) this.dropL1AfterGap(`invalidation stream unheard for more than ${this.maxStalenessMs} ms`)
    this.heardOnce = true
    this.core.l1TrustedUntil = upTo + this.maxStalenessMs
  }

  /** Broadcasts what waits in the outbox, oldest first; one relay at a time per instance (and fleet-wide, by the outbox). */
  private async relayOutbox(): Promise<void> {
    const outbox = this.core.outbox
    const bus = this.core.bus
    if (this.relaying || outbox === undefined || bus === undefined || this.core.closed) return
    this.relaying = true
    try {
      while ((await outbox.relay(100, async (messages) => {
        for (const message of messages) await bus.publish(message)
      })) > 0);
    } catch {
      // The bus or the store is still down: the messages stay, the next tick tries again.
    } finally {
      this.relaying = false
    }
  }

  /** Whatever L1 holds may have been invalidated in a message this instance missed: L2 is the truth again. */
  private dropL1AfterGap(reason: string): void {
    const l1 = this.core.l1
    const dropped = l1?.size ?? 0
    l1?.clear()
    if (this.core.events.has('bus-gap')) this.core.events.emit('bus-gap', { reason, dropped })
  }

  private pruneAllTagRecords(): void {
    for (const namespace of this.namespaces.values()) namespace.pruneTagRecords()
  }
}

export function createCache<T = unknown>(options: CreateCacheOptions = {}): StrataCache<T> {
  const clock = options.clock ?? highResolutionNow
  // With an injected clock (tests) both clocks are it; otherwise reads on the hit path cost ~nothing.
  const coarseClock = options.clock ?? new CoarseClock().now
  const basePolicy: CachePolicy = { ...DEFAULT_POLICY, codec: jsonCodec, ...stripUndefined(options.policy ?? {}) }
  validatePolicy(basePolicy)
  const l1Options = options.l1 === undefined ? { maxEntries: 10_000 } : options.l1
  const l1 =
    l1Options === false
      ? undefined
      : new MemoryTier<StoredEntry>({
          maxEntries: l1Options.maxEntries,
          ...(l1Options.maxBytes === undefined ? {} : { maxBytes: l1Options.maxBytes }),
          policy: l1Options.policy ?? 'w-tinylfu',
          clock: coarseClock,
          // Runs only after `cache` below exists: removals happen on writes, which need the cache.
          onRemoval: (key, _value, cause) => cache.onL1Removal(key, cause),
          // onL1Removal ignores overwrites: every set of a resident key would queue one for nothing.
          notifyReplaced: false,
        })
  const core = new CacheCore({
    l1,
    l1BoundedByBytes: l1Options !== false && l1Options.maxBytes !== undefined,
    l2: options.l2,
    bus: options.bus,
    outbox: options.outbox,
    queue: options.queue,
    prefix: options.prefix ?? 'strata',
    clock,
    coarseClock,
    resilience: options.resilience,
  })
  const cache = new StrataCache<T>(core, basePolicy, options)
  return cache
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
