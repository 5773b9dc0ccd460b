import { isStrataError } from '@strata/core'
import { HttpTransport, type TransportOptions } from './http/http-transport.js'
import { pathOf } from './http/routes.js'
import type {
  BatchSetItem,
  EntryMetadata,
  EntryPage,
  EntryView,
  DryRunResult,
  EventResult,
  InvalidationRequest,
  InvalidationResult,
  ListEntriesOptions,
  NamespacePolicy,
  NamespaceView,
  PurgeRequest,
  PurgeResult,
  Readiness,
  WriteOptions,
  WriteResult,
} from './types.js'

export type StrataClientOptions = TransportOptions

/**
 * A typed client for the gateway's HTTP API: the KV cache, invalidation and purge, namespaces (admin), health and
 * metrics. GET, PUT and DELETE are retried on timeouts, connection failures and 429/502/503/504 (POSTs never are);
 * error answers become `StrataApiError`s carrying the gateway's code.
 *
 *   const strata = new StrataClient({ baseUrl: 'http://127.0.0.1:8080', apiKey: process.env.STRATA_KEY })
 *   await strata.set('users', '42', { name: 'Ada' }, { ttl: 60_000, tags: ['org:7'] })
 *   const user = await strata.get<User>('users', '42')
 */
export class StrataClient {
  private readonly http: HttpTransport

  constructor(options: StrataClientOptions) {
    this.http = new HttpTransport(options)
  }

  // ---------------------------------------------------------------- KV

  /** The value, or undefined when the key is not cached (and the namespace has no origin that has it). */
  async get<T = unknown>(namespace: string, key: string): Promise<T | undefined> {
    return (await this.getEntry<T>(namespace, key))?.value
  }

  /**
   * The value with its metadata (ETag, X-Cache, Age, seconds of freshness left). With `ifNoneMatch` equal to the
   * current ETag the answer is `{ notModified: true }` and no value travels.
   */
  async getEntry<T = unknown>(namespace: string, key: string, options: { ifNoneMatch?: string } = {}): Promise<EntryMetadata<T> | undefined> {
    try {
      const response = await this.http.request({
        method: 'GET',
        path: pathOf('getKey', { ns: namespace, key }),
        accept: [304],
        ...(options.ifNoneMatch === undefined ? {} : { headers: { 'if-none-match': options.ifNoneMatch } }),
      })
      const headers = response.headers
      return {
        value: response.body as T,
        notModified: response.status === 304,
        etag: headers.get('etag') ?? undefined,
        cache: headers.get('x-cache') === 'MISS' ? 'MISS' : 'HIT',
        ageSeconds: numberHeader(headers.get('age')),
        ttlSeconds: numberHeader(headers.get('x-cache-ttl')),
      }
    } catch (error) {
      if (isStrataError(error, 'E_KEY_NOT_FOUND')) return undefined
      throw error
    }
  }

  /** Writes a value (any JSON, null included); `ifMatch` / `ifNoneMatch: '*'` make it conditional (412 otherwise). */
  async set(namespace: string, key: string, value: unknown, options: WriteOptions = {}): Promise<WriteResult> {
    const { ttl, tags, ifMatch, ifNoneMatch } = options
    const response = await this.http.request({
      method: 'PUT',
      path: pathOf('setKey', { ns: namespace, key }),
      body: { value, ...(ttl === undefined ? {} : { ttl }), ...(tags === undefined ? {} : { tags }) },
      headers: conditional(ifMatch, ifNoneMatch),
    })
    return response.body as WriteResult
  }

  async delete(namespace: string, key: string, options: { ifMatch?: string } = {}): Promise<void> {
    await this.http.request({ method: 'DELETE', path: pathOf('deleteKey', { ns: namespace, key }), headers: conditional(options.ifMatch, undefined) })
  }

  /** Values for up to 1,000 keys in one round trip; undefined where a key is not cached. */
  async getMany<T = unknown>(namespace: string, keys: readonly string[]): Promise<(T | undefined)[]> {
    const response = await this.http.request({ method: 'POST', path: pathOf('getMany', { ns: namespace }), body: { keys } })
    const { items } = response.body as { items: { key: string; found: boolean; value?: T }[] }
    return items.map((item) => (item.found ? item.value : undefined))
  }

  async setMany(namespace: string, items: readonly BatchSetItem[]): Promise<{ written: number }> {
    const response = await this.http.request({ method: 'POST', path: pathOf('setMany', { ns: namespace }), body: { items } })
    return response.body as { written: number }
  }

  // ---------------------------------------------------------------- entry browser

  /**
   * One page of a namespace's entries by key prefix and/or tag, metadata only (the gateway scans L2: an admin tool,
   * not a hot path). Follow `cursor` until it is null. Memcached cannot list keys: E_UNSUPPORTED_BY_STORE.
   */
  async listEntries(namespace: string, options: ListEntriesOptions = {}): Promise<EntryPage> {
    const query = new URLSearchParams()
    for (const [name, value] of Object.entries(options)) if (value !== undefined) query.set(name, String(value))
    const search = query.size === 0 ? '' : `?${query.toString()}`
    const response = await this.http.request({ method: 'GET', path: `${pathOf('listEntries', { ns: namespace })}${search}` })
    return response.body as EntryPage
  }

  /** One entry's metadata (tier, TTL and grace left, size, tags, version) without counting as a hit; undefined when absent. */
  async inspectEntry(namespace: string, key: string): Promise<EntryView | undefined> {
    try {
      const response = await this.http.request({ method: 'GET', path: pathOf('inspectEntry', { ns: namespace, key }) })
      return response.body as EntryView
    } catch (error) {
      if (isStrataError(error, 'E_KEY_NOT_FOUND')) return undefined
      throw error
    }
  }

  // ---------------------------------------------------------------- invalidation

  /** Keys and tags gone, expireTags stale, or `all` emptied — in every tier and every gateway instance. */
  async invalidate(namespace: string, request: InvalidationRequest): Promise<InvalidationResult> {
    const response = await this.http.request({ method: 'POST', path: pathOf('invalidate', { ns: namespace }), body: request })
    return response.body as InvalidationResult
  }

  /** What `invalidate` would remove, counted the way the invalidator counts it; nothing changes. */
  async dryRunInvalidation(namespace: string, request: InvalidationRequest): Promise<DryRunResult> {
    const response = await this.http.request({ method: 'POST', path: pathOf('invalidate', { ns: namespace }), body: { ...request, dryRun: true } })
    return response.body as DryRunResult
  }

  /** Purges stored proxy responses by URL (every Vary variant) or by surrogate key. */
  async purge(request: PurgeRequest): Promise<PurgeResult> {
    const response = await this.http.request({ method: 'POST', path: pathOf('purge'), body: request })
    return response.body as PurgeResult
  }

  /** Posts a domain event; the gateway's rules turn it into invalidations. */
  async publishEvent(event: { type: string; data: Record<string, unknown>; id?: string }): Promise<EventResult> {
    const response = await this.http.request({ method: 'POST', path: pathOf('publishEvent'), body: event })
    return response.body as EventResult
  }

  // ---------------------------------------------------------------- admin

  async listNamespaces(): Promise<NamespaceView[]> {
    const response = await this.http.request({ method: 'GET', path: pathOf('listNamespaces') })
    return (response.body as { namespaces: NamespaceView[] }).namespaces
  }

  async getNamespace(namespace: string): Promise<NamespaceView> {
    const response = await this.http.request({ method: 'GET', path: pathOf('getNamespace', { ns: namespace }) })
    return response.body as NamespaceView
  }

  /** Creates or replaces a namespace's policy; `created` says which. */
  async putNamespace(namespace: string, policy: NamespacePolicy): Promise<NamespaceView & { created: boolean }> {
    const response = await this.http.request({ method: 'PUT', path: pathOf('putNamespace', { ns: namespace }), body: policy })
    return { ...(response.body as NamespaceView), created: response.status === 201 }
  }

  async deleteNamespace(namespace: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path: pathOf('deleteNamespace', { ns: namespace }) })
  }

  // ---------------------------------------------------------------- operations

  async live(): Promise<boolean> {
    const response = await this.http.request({ method: 'GET', path: pathOf('live') })
    return (response.body as { status: string }).status === 'live'
  }

  /** Readiness with each check; an unready gateway answers 503, which is returned here rather than thrown. */
  async ready(): Promise<Readiness> {
    const response = await this.http.request({ method: 'GET', path: pathOf('ready'), accept: [503] })
    return response.body as Readiness
  }

  /** The Prometheus text exposition. */
  async metrics(): Promise<string> {
    const response = await this.http.request({ method: 'GET', path: pathOf('metrics') })
    return String(response.body)
  }
}

function conditional(ifMatch: string | undefined, ifNoneMatch: string | undefined): Record<string, string> {
  return { ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }), ...(ifNoneMatch === undefined ? {} : { 'if-none-match': ifNoneMatch }) }
}

function numberHeader(value: string | null): number | undefined {
  if (value === null) return undefined
  const parsed = Number(value)
  return Number.isFinite(parsed) ? parsed : undefined
}
