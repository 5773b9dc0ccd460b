import { EventEmitter } from 'node:events'
import type { NamespaceCache, StrataCache } from '@strata/core'

export interface StrataKeyvStoreOptions {
  /** The Strata cache the store reads and writes (its L1, L2, bus and hooks all apply). */
  cache: StrataCache
  /**
   * Strata namespace used when Keyv gives none; a Keyv namespace `x` maps to the Strata namespace `<prefix>x`, so
   * `clear()` empties only that namespace. Default prefix `keyv.`.
   */
  namespacePrefix?: string
  /** ttl (ms) for a set without one: Keyv's "no expiry" becomes this bounded ttl. Default 24 h. */
  defaultTtl?: number
}

const DEFAULT_TTL_MS = 24 * 3_600_000

/**
 * A Keyv storage adapter over a Strata cache, so Keyv users and cache-manager (which is built on Keyv) get Strata's
 * tiers, stampede protection and cross-instance invalidation:
 *
 *   const keyv = new Keyv({ store: new StrataKeyvStore({ cache }) })
 *
 * Keyv serialises values and checks their expiry itself; the store keeps what it is given under the ttl Keyv passes
 * (no grace: an expired Keyv entry must be gone, not stale).
 */
export class StrataKeyvStore extends EventEmitter {
  /** Keyv reads and writes this object (e.g. a custom deserialize); the store itself does not need it. */
  opts: Record<string, unknown>
  /** Set by Keyv to its namespace; selects the Strata namespace. */
  namespace: string | undefined
  private readonly cache: StrataCache
  private readonly prefix: string
  private readonly defaultTtl: number

  constructor(options: StrataKeyvStoreOptions) {
    super()
    this.cache = options.cache
    this.prefix = options.namespacePrefix ?? 'keyv.'
    this.defaultTtl = options.defaultTtl ?? DEFAULT_TTL_MS
    this.opts = { namespacePrefix: this.prefix, defaultTtl: this.defaultTtl }
  }

  async get<Value>(key: string): Promise<Value | undefined> {
    return (await this.current().get(key)) as Value | undefined
  }

  async getMany<Value>(keys: string[]): Promise<(Value | undefined)[]> {
    return (await this.current().getMany(keys)) as (Value | undefined)[]
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    // Keyv never hands undefined to a store except through its own serialised form; guard anyway (Strata refuses it).
    if (value === undefined) return false
    await this.current().set(key, value, { ttl: typeof ttl === 'number' && ttl > 0 ? ttl : this.defaultTtl })
    return true
  }

  async setMany(entries: { key: string; value: unknown; ttl?: number }[]): Promise<void> {
    const items = entries
      .filter((entry) => entry.value !== undefined)
      .map((entry) => ({ key: entry.key, value: entry.value, options: { ttl: typeof entry.ttl === 'number' && entry.ttl > 0 ? entry.ttl : this.defaultTtl } }))
    await this.current().setMany(items)
  }

  /** True when the key existed (Keyv reports it to its caller). */
  async delete(key: string): Promise<boolean> {
    const namespace = this.current()
    const existed = await namespace.has(key)
    await namespace.delete(key)
    return existed
  }

  /** True when at least one of the keys existed. */
  async deleteMany(keys: string[]): Promise<boolean> {
    const namespace = this.current()
    const found = await namespace.countInL2({ keys })
    const existed = found === undefined ? (await Promise.all(keys.map((key) => namespace.has(key)))).some(Boolean) : found > 0
    await namespace.deleteMany(keys)
    return existed
  }

  async has(key: string): Promise<boolean> {
    return this.current().has(key)
  }

  async hasMany(keys: string[]): Promise<boolean[]> {
    const namespace = this.current()
    return Promise.all(keys.map((key) => namespace.has(key)))
  }

  /** Empties this store's namespace only (in every tier and, through the bus, every instance). */
  async clear(): Promise<void> {
    await this.current().clear()
  }

  /** The cache belongs to the caller, who closes it; nothing to release here. */
  async disconnect(): Promise<void> {}

  private resolved: { name: string; namespace: NamespaceCache<unknown> } | undefined

  /** The Strata namespace of Keyv's current namespace (Keyv may change it at any time), looked up once per name. */
  private current(): NamespaceCache<unknown> {
    const name = `${this.prefix}${this.namespace ?? 'default'}`
    if (this.resolved?.name !== name) this.resolved = { name, namespace: this.cache.namespace(name, { grace: 0 }) }
    return this.resolved.namespace
  }
}
