import type { StrataError } from '../errors/index.js'

export type Tier = 'l1' | 'l2'

/** What the engine reports. Keys are the caller's logical keys; values are never part of an event. */
export interface CacheEventMap {
  hit: { namespace: string; key: string; tier: Tier; stale: boolean }
  /** `coalesced`: the read joined a load already under way in this process (single-flight), counted apart from misses. */
  miss: { namespace: string; key: string; coalesced?: boolean }
  set: { namespace: string; key: string; tags: readonly string[] }
  delete: { namespace: string; key: string }
  evict: { namespace: string; key: string; cause: 'evicted' | 'expired' }
  load: { namespace: string; key: string; durationMs: number; ok: boolean }
  refresh: { namespace: string; key: string; ok: boolean }
  'fail-safe': { namespace: string; key: string; error: unknown }
  invalidate: { namespace: string; kind: InvalidationKind; keys?: readonly string[]; tags?: readonly string[]; prefix?: string; remote: boolean }
  error: { namespace: string; operation: string; key?: string; error: StrataError }
  'l2-circuit': { state: 'open' | 'closed' | 'half-open' }
  /** The bus could not vouch that this instance saw every invalidation, so the whole L1 was dropped. */
  'bus-gap': { reason: string; dropped: number }
}

export type InvalidationKind = 'keys' | 'prefix' | 'delete-tags' | 'expire-tags' | 'clear'
export type CacheEventName = keyof CacheEventMap
export type CacheListener<E extends CacheEventName> = (event: CacheEventMap[E]) => void

/**
 * A typed emitter that costs nothing when nobody listens: `has(name)` lets the hot path skip building the event.
 * A throwing listener is isolated (reported through `error` listeners' absence is tolerated) so it never breaks a read.
 */
export class CacheEvents {
  private readonly listeners = new Map<CacheEventName, Set<(event: never) => void>>()
  /**
   * `listening.hit` etc.: a property read, cheaper than a Map lookup on every cache hit. Every name is present from the
   * start, so the object keeps one shape and each check on the hit and set paths is a monomorphic load.
   */
  readonly listening: Record<CacheEventName, boolean> = {
    hit: false,
    miss: false,
    set: false,
    delete: false,
    evict: false,
    load: false,
    refresh: false,
    'fail-safe': false,
    invalidate: false,
    error: false,
    'l2-circuit': false,
    'bus-gap': false,
  }

  on<E extends CacheEventName>(name: E, listener: CacheListener<E>): () => void {
    let set = this.listeners.get(name)
    if (set === undefined) this.listeners.set(name, (set = new Set()))
    set.add(listener)
    this.listening[name] = true
    return () => this.off(name, listener)
  }

  off<E extends CacheEventName>(name: E, listener: CacheListener<E>): void {
    const set = this.listeners.get(name)
    set?.delete(listener)
    if (set?.size === 0) {
      this.listeners.delete(name)
      this.listening[name] = false
    }
  }

  has(name: CacheEventName): boolean {
    return this.listening[name] === true
  }

  emit<E extends CacheEventName>(name: E, event: CacheEventMap[E]): void {
    const set = this.listeners.get(name)
    if (set === undefined) return
    for (const listener of set) {
      try {
        ;(listener as CacheListener<E>)(event)
      } catch (error) {
        // A listener bug must not break the cache operation that emitted the event.
        process.emitWarning(`Strata cache '${name}' listener threw: ${String(error)}`)
      }
    }
  }
}
