import { createHash } from 'node:crypto'
import { StrataError, type NamespaceCache } from '@strata/core'
import type { BaseTable } from '../catalog/catalog.js'
import type { QueryStats } from '../stats/query-stats.js'
import { tableName, tableTag } from '../table-tags.js'

export interface ResultDefinition {
  /** Tables (or views: resolved to their base tables) the result is computed from: `name` or `schema.name`. */
  tables: readonly string[]
  /** Default: the cache's TTL. */
  ttl?: number
}

export type ResultLoader<P, T> = (params: P) => Promise<T>

/** A named application result: `get(params)` answers from the cache or runs the loader once for all callers. */
export interface NamedResult<P, T> {
  readonly name: string
  get(params: P): Promise<T>
  /** Drops every cached variant of this result (all parameters). */
  invalidate(): Promise<void>
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/

/**
 * Results an application computes from several queries (a dashboard, a report), cached under their name and
 * parameters and tagged with the tables they declare, so the same table changes that drop query results drop them.
 */
export class ResultCache {
  private readonly defined = new Map<string, NamedResult<never, unknown>>()

  constructor(
    private readonly namespace: NamespaceCache<unknown>,
    private readonly stats: QueryStats,
    private readonly resolve: (tables: readonly string[]) => Promise<BaseTable[]>,
  ) {}

  define<P = void, T = unknown>(name: string, definition: ResultDefinition, loader: ResultLoader<P, T>): NamedResult<P, T> {
    if (!NAME.test(name)) throw new StrataError('E_INVALID_OPTION', `Result name '${name}' must match ${NAME.source}`, { context: { name } })
    if (this.defined.has(name)) throw new StrataError('E_INVALID_OPTION', `Result '${name}' is already defined`, { context: { name } })
    if (!Array.isArray(definition.tables) || definition.tables.length === 0 || definition.tables.some((table) => typeof table !== 'string' || table === '')) {
      throw new StrataError('E_INVALID_OPTION', `Result '${name}' must declare the tables it reads (a non-empty list of names)`, { context: { name } })
    }
    let resolved: Promise<{ tags: string[]; tables: string[] }> | undefined
    const resultTag = `result:${name}`
    const fingerprint = `result:${name}`
    const namespace = this.namespace
    const stats = this.stats
    const result: NamedResult<P, T> = {
      name,
      get: async (params: P) => {
        resolved ??= this.resolve(definition.tables).then((found) => {
          const tables = found.map(tableName)
          return { tables, tags: [resultTag, ...tables.map(tableTag)] }
        })
        const { tags, tables } = await resolved
        const key = `${fingerprint}:${createHash('sha1').update(JSON.stringify(params ?? null)).digest('base64url')}`
        let loaded = false
        const value = await namespace.getOrSet(
          key,
          async () => {
            const started = performance.now()
            const computed = await loader(params)
            loaded = true
            const rows = Array.isArray(computed) ? computed.length : 1
            stats.miss(fingerprint, name, tables, performance.now() - started, rows, Buffer.byteLength(JSON.stringify(computed) ?? ''))
            return computed
          },
          { tags, ...(definition.ttl === undefined ? {} : { ttl: definition.ttl }) },
        )
        if (!loaded) stats.hit(fingerprint, name)
        return value as T
      },
      invalidate: () => namespace.deleteByTag([resultTag]),
    }
    this.defined.set(name, result)
    return result
  }

  get(name: string): NamedResult<never, unknown> | undefined {
    return this.defined.get(name)
  }
}
