import { randomUUID } from 'node:crypto'
import type { HotKeysEvent, WarmEvent } from '@strata/bus'
import type { StrataCache } from '@strata/core'
import type { DbCache } from '@strata/db-cache'
import type { RateLimiter } from './rate-limiter.js'
import type { KeyLoader, WarmTarget } from './warm-target.js'

export type WarmTrigger = WarmEvent['trigger']

export interface WarmerDependencies {
  cache: StrataCache
  /** Origin loaders per namespace, for key targets and hot keys. */
  loaders: Readonly<Record<string, KeyLoader>>
  /** For query targets. */
  db?: DbCache
  limiter: RateLimiter
  /** Items of one run loaded at once (each still takes a token). Default 4. */
  concurrency?: number
  /** At most this many keys of a hot-keys report are warmed. Default 1,000. */
  maxHotKeys?: number
  /** Progress events (started, finished); awaited, so a run is reported before the next starts. */
  report?: (event: WarmEvent) => Promise<void>
  onError?: (error: unknown, context: { target: string; item: string }) => void
}

export type WarmResult = Omit<WarmEvent, 'state' | 'at'>

/**
 * Runs warming: every item goes through the cache's read-through path, so an item already cached costs nothing and a
 * missing one is loaded once (single-flight) and stored in L1 and L2 like any read. Origin loads take a token from the
 * rate limiter first: warming never sends the origin more than the configured rate, whatever the triggers.
 */
export class Warmer {
  constructor(private readonly deps: WarmerDependencies) {}

  async run(target: WarmTarget, trigger: WarmTrigger): Promise<WarmResult> {
    const runId = randomUUID()
    const started = performance.now()
    const base = { runId, target: target.name, trigger }
    const items = this.items(target)
    await this.deps.report?.({ ...base, state: 'started', loaded: 0, cached: 0, failed: 0, total: items.length, durationMs: 0, at: Date.now() })
    let loaded = 0
    let cached = 0
    let failed = 0
    let next = 0
    const worker = async () => {
      while (next < items.length) {
        const item = items[next++]!
        try {
          if (await item.warm()) loaded++
          else cached++
        } catch (error) {
          failed++
          this.deps.onError?.(error, { target: target.name, item: item.label })
        }
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, this.deps.concurrency ?? 4) }, worker))
    const result: WarmResult = { ...base, loaded, cached, failed, total: items.length, durationMs: performance.now() - started }
    await this.deps.report?.({ ...result, state: 'finished', at: Date.now() })
    return result
  }

  /** Warms the hottest keys of a hot-keys report, when this warmer has a loader for the namespace. */
  async warmHotKeys(event: HotKeysEvent): Promise<WarmResult | undefined> {
    if (this.deps.loaders[event.namespace] === undefined) return undefined
    const keys = [...event.keys]
      .sort((a, b) => b.count - a.count)
      .slice(0, this.deps.maxHotKeys ?? 1_000)
      .map(({ key }) => key)
    return this.run({ kind: 'keys', name: `hot-keys.${event.namespace}`, namespace: event.namespace, keys }, 'hot-keys')
  }

  /** Each item resolves true when it was loaded from the origin, false when it was already cached. */
  private items(target: WarmTarget): { label: string; warm: () => Promise<boolean> }[] {
    const { limiter } = this.deps
    if (target.kind === 'keys') {
      const load = this.deps.loaders[target.namespace]
      if (load === undefined) throw new Error(`No loader for namespace '${target.namespace}' (target '${target.name}')`)
      const namespace = this.deps.cache.namespace(target.namespace)
      return target.keys.map((key) => ({
        label: key,
        warm: async () => {
          if (target.refreshAheadMs !== undefined) {
            const entry = await namespace.inspect(key)
            if (entry !== undefined) {
              if (entry.expiresAt - Date.now() > target.refreshAheadMs) return false
              await limiter.take()
              await namespace.set(key, await load(key))
              return true
            }
          }
          let loaded = false
          await namespace.getOrSet(key, async () => {
            await limiter.take()
            loaded = true
            return load(key)
          })
          return loaded
        },
      }))
    }
    const db = this.deps.db
    if (db === undefined) throw new Error(`Target '${target.name}' has queries but the warmer has no database cache`)
    return target.queries.flatMap(({ sql, params }) =>
      (params ?? [undefined]).map((values) => ({
        label: sql,
        warm: async () => {
          // A query is checked against the cache by running it; the token is taken for every query, since any may miss.
          await limiter.take()
          const before = db.statsOf(sql)?.misses ?? 0
          await db.query(sql, values === undefined ? undefined : [...values])
          return (db.statsOf(sql)?.misses ?? 0) > before
        },
      })),
    )
  }
}
