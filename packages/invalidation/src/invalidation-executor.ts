import { StrataError, type InvalidationBus, type InvalidationMessage, type NamespaceCache, type StrataCache } from '@strata/core'
import { countPrefixes } from './dry-run.js'
import { recordOf, type InvalidationRecord } from './invalidation-record.js'
import type { InvalidationRequest } from './invalidation-request.js'

/** The engine namespace a proxy upstream's responses live in; its surrogate keys are that namespace's tags. */
export const proxyNamespace = (upstream: string): string => `proxy.${upstream}`

export interface InvalidationExecutorOptions {
  /** The engine whose namespaces are invalidated. */
  cache: StrataCache
  /** Resolves a namespace (the gateway's registry, with its policies); default `cache.namespace(name)`. */
  resolve?: (namespace: string) => NamespaceCache<unknown> | Promise<NamespaceCache<unknown>>
  /**
   * Purges an upstream's stored responses by surrogate key (`soft`: marks them stale); default: delete (or expire)
   * those tags in `proxyNamespace(upstream)`.
   */
  purgeSurrogateKeys?: (upstream: string, keys: readonly string[], soft: boolean) => Promise<void>
  /**
   * For an engine without a bus of its own (the invalidator's): every change is announced here, awaited, so a failed
   * publish fails the request (and the event is retried) instead of being only reported. An engine with a bus (the
   * gateway's) announces by itself.
   */
  announce?: { bus: InvalidationBus; origin: string }
  /**
   * Fail with E_L2_UNAVAILABLE when the engine kept deletes it could not apply (it replays them later): an event must
   * not count as applied on that, since a crash would lose them. Default false.
   */
  requireL2?: boolean
  clock?: () => number
}

/**
 * The one executor: carries out an InvalidationRequest — keys, tags (delete or expire), prefixes, the whole
 * namespace, or an upstream's surrogate keys (purged, or expired when soft) — through the engine (L2 once, every L1
 * through the bus), and returns its InvalidationRecord. Keys are counted by the delete itself (the keys that were in
 * L2, as the dry run counts them), prefixes just before the delete (a concurrent fill may make that off by that fill,
 * never by more); tags and all are not counted (null): that would take a scan of the namespace on every event.
 */
export class InvalidationExecutor {
  private readonly clock: () => number

  constructor(private readonly options: InvalidationExecutorOptions) {
    this.clock = options.clock ?? Date.now
  }

  /**
   * `announced`: called once the change is made in L2 and its announcement handed to the bus, before that is
   * acknowledged (the invalidator then lets its next event start while the acknowledgement is awaited here).
   * `announceAfter`: awaited once the change is made in L2, before anything is announced; if it rejects, nothing is
   * announced and apply rejects with its error (the invalidator's event claim, run alongside the L2 change).
   */
  async apply(request: InvalidationRequest, announced?: () => void, announceAfter?: Promise<unknown>): Promise<InvalidationRecord> {
    if (request.urls !== undefined && request.urls.length > 0) {
      throw new StrataError('E_INVALID_OPTION', "URL purges are carried out by the gateway's proxy (POST /v1/proxy/purge), not by the invalidation executor", {
        context: { upstream: request.upstream },
      })
    }
    const messages: Omit<InvalidationMessage, 'at' | 'origin'>[] = []
    let removed: number | null = 0
    const count = (found: number | null) => {
      removed = removed === null || found === null ? null : removed + found
    }
    if (request.upstream !== undefined && request.surrogateKeys !== undefined && request.surrogateKeys.length > 0) {
      removed = null
      const soft = request.soft === true
      await this.purgeSurrogateKeys(request.upstream, request.surrogateKeys, soft)
      messages.push({ namespace: proxyNamespace(request.upstream), kind: soft ? 'expire-tags' : 'delete-tags', tags: [...request.surrogateKeys] })
    }
    if (request.namespace !== undefined) {
      const name = request.namespace
      const namespace = await this.resolve(name)
      if (request.all === true) {
        removed = null
        await namespace.clear()
        messages.push({ namespace: name, kind: 'clear' })
      }
      if (request.keys !== undefined && request.keys.length > 0) {
        // Counted by the delete itself (one L2 round trip, not a count and then a delete): this is on the path of
        // every event-driven invalidation, before the announcement.
        count((await namespace.deleteManyCounted(request.keys)) ?? null)
        messages.push({ namespace: name, kind: 'keys', keys: [...request.keys] })
      }
      if (request.tags !== undefined && request.tags.length > 0) {
        removed = null
        await namespace.deleteByTag(request.tags)
        messages.push({ namespace: name, kind: 'delete-tags', tags: [...request.tags] })
      }
      if (request.expireTags !== undefined && request.expireTags.length > 0) {
        removed = null
        await namespace.expireByTag(request.expireTags)
        messages.push({ namespace: name, kind: 'expire-tags', tags: [...request.expireTags] })
      }
      for (const prefix of request.prefixes ?? []) {
        count(await countPrefixes(namespace, [prefix]))
        await namespace.deleteByPrefix(prefix)
        messages.push({ namespace: name, kind: 'prefix', prefix })
      }
    }
    const entriesRemoved: number | null = removed
    if (this.options.requireL2 === true && this.options.cache.pendingL2Invalidations > 0) {
      const where = request.namespace ?? proxyNamespace(request.upstream ?? '')
      throw new StrataError('E_L2_UNAVAILABLE', `L2 did not take the invalidation of namespace '${where}'; it will be retried`, {
        context: { namespace: where, pending: this.options.cache.pendingL2Invalidations },
      })
    }
    if (announceAfter !== undefined) await announceAfter
    const announce = this.options.announce
    if (announce !== undefined) {
      const at = this.clock()
      const sent = Promise.all(messages.map((message) => announce.bus.publish({ ...message, origin: announce.origin, at })))
      announced?.()
      await sent
    } else {
      announced?.()
    }
    return recordOf(request, { entriesRemoved, at: this.clock() })
  }

  private async resolve(namespace: string): Promise<NamespaceCache<unknown>> {
    return this.options.resolve === undefined ? this.options.cache.namespace(namespace) : await this.options.resolve(namespace)
  }

  private async purgeSurrogateKeys(upstream: string, keys: readonly string[], soft: boolean): Promise<void> {
    if (this.options.purgeSurrogateKeys !== undefined) return this.options.purgeSurrogateKeys(upstream, keys, soft)
    const namespace = await this.resolve(proxyNamespace(upstream))
    await (soft ? namespace.expireByTag(keys) : namespace.deleteByTag(keys))
  }
}
