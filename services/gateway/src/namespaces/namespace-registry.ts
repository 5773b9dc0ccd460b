import { isDeepStrictEqual } from 'node:util'
import type { Dispatcher } from 'undici'
import { StrataError, type BufferedWrite, type Keyring, type NamespaceCache, type StrataCache } from '@strata/core'
import { HttpOrigin } from './http-origin.js'
import { KeyHasher } from './namespace-security.js'
import { toPolicy, type NamespaceSpec } from './namespace-spec.js'
import { checkOriginHeaders, guardedOriginAgent, originOf } from './origin-guard.js'
import { WRITE_ONLY, openHeader, sealHeader } from './origin-secrets.js'

export interface NamespaceRegistryOptions {
  /** Seals the L2 entries of namespaces whose security policy requires encryption, and origin header values. */
  keyring?: Keyring | undefined
  /** Origins (`scheme://host:port`) namespace admins may point a namespace at, besides those a global admin added. */
  allowedOrigins?: readonly string[] | undefined
  /** Keys of `hashKeys` namespaces are hashed with this (STRATA_SERVER_SECRET); none: a random key per process. */
  keyHasher?: KeyHasher | undefined
  /** Where origins are fetched through; default refuses host names that resolve to internal addresses. */
  dispatcher?: Dispatcher | undefined
}

/** Who is changing a namespace: only a global admin (admin on `*`, or no auth at all) may name a new origin. */
export interface PutContext {
  globalAdmin: boolean
}

export interface NamespaceHandle {
  readonly name: string
  /** The spec as the admin API shows it: origin header values are write-only. */
  readonly spec: NamespaceSpec
  readonly cache: NamespaceCache<unknown>
  readonly origin: HttpOrigin | undefined
}

/** Where namespace specs live: a namespace of the cache itself, so every instance sharing the L2 sees them. */
export const REGISTRY_NAMESPACE = 'strata.namespaces'
const SPECS_KEY = 'specs'
const ORIGINS_KEY = 'allowed-origins'
const TEN_YEARS = 10 * 365 * 24 * 3_600_000
/** Names the gateway keeps for itself: its registry, and the proxy's per-upstream namespaces. */
const RESERVED = /^(strata\.|proxy\.|default$)/

/**
 * The namespaces the KV API serves, created and changed through the admin API. Specs are stored in the cache's own
 * L2 (one document), so a namespace created through one gateway exists on all of them: an instance that does not
 * know a name reads the document again, and a change made elsewhere reaches this instance's L1 through the bus.
 */
export class NamespaceRegistry {
  private readonly handles = new Map<string, NamespaceHandle>()
  /** The stored (sealed) spec each handle was built from, to tell whether a reload changed it. */
  private readonly stored = new Map<string, NamespaceSpec>()
  private readonly store: NamespaceCache<Record<string, NamespaceSpec>>
  private readonly origins: NamespaceCache<string[]>
  private readonly dispatcher: Dispatcher
  private readonly ownsDispatcher: boolean
  readonly keyHasher: KeyHasher
  private reloading: Promise<void> | undefined
  private readonly stopListening: () => void

  /** `keyring` seals the L2 entries of namespaces whose security policy requires encryption. */
  constructor(
    private readonly cache: StrataCache,
    private readonly options: NamespaceRegistryOptions = {},
  ) {
    this.keyHasher = options.keyHasher ?? new KeyHasher()
    this.ownsDispatcher = options.dispatcher === undefined
    this.dispatcher = options.dispatcher ?? guardedOriginAgent()
    this.store = cache.defineNamespace<Record<string, NamespaceSpec>>(REGISTRY_NAMESPACE, {
      ttl: TEN_YEARS,
      maxTtl: TEN_YEARS,
      grace: 0,
      l1Ttl: 10_000,
      writeMode: 'cache-aside',
      stampede: 'local',
      refreshAhead: undefined,
    })
    this.origins = this.store as unknown as NamespaceCache<string[]>
    this.stopListening = cache.on('invalidate', (event) => {
      if (event.remote && event.namespace === REGISTRY_NAMESPACE) void this.reload().catch(() => undefined)
    })
  }

  /** Loads the stored specs; call once before serving. */
  async start(initial: Record<string, NamespaceSpec> = {}): Promise<void> {
    await this.reload()
    for (const [name, spec] of Object.entries(initial)) if (!this.handles.has(name)) await this.put(name, spec)
  }

  /** The namespace, from memory (the hot path), or undefined. */
  get(name: string): NamespaceHandle | undefined {
    return this.handles.get(name)
  }

  /** The namespace, reading the shared document once if this instance does not know it; E_NAMESPACE_NOT_FOUND otherwise. */
  async resolve(name: string): Promise<NamespaceHandle> {
    const known = this.handles.get(name)
    if (known !== undefined) return known
    await this.reload()
    const handle = this.handles.get(name)
    if (handle === undefined) {
      throw new StrataError('E_NAMESPACE_NOT_FOUND', `Namespace '${name}' does not exist; create it with PUT /v1/admin/namespaces/${name}`, {
        context: { namespace: name },
      })
    }
    return handle
  }

  list(): NamespaceHandle[] {
    return [...this.handles.values()].sort((a, b) => a.name.localeCompare(b.name))
  }

  /**
   * Creates or replaces a namespace; validates before anything is stored. True when it was created. A namespace admin
   * (`globalAdmin: false`) may only use an origin that is allowed already; a global admin's origin becomes allowed.
   */
  async put(name: string, spec: NamespaceSpec, context: PutContext = { globalAdmin: true }): Promise<{ created: boolean; handle: NamespaceHandle }> {
    if (RESERVED.test(name)) {
      throw new StrataError('E_INVALID_OPTION', `Namespace name '${name}' is reserved (default, strata.*, proxy.*)`, { context: { namespace: name } })
    }
    toPolicy(spec, this.options.keyring)
    checkOriginHeaders(spec.origin?.headers)
    const specs = { ...(await this.readSpecs()) }
    if (spec.origin !== undefined) {
      const origin = originOf(spec.origin.url)
      const allowed = await this.allowedOrigins()
      if (!allowed.includes(origin)) {
        if (!context.globalAdmin) {
          throw new StrataError('E_FORBIDDEN', `Origin ${origin} is not allowed; a global admin allows an origin (allowed: ${allowed.join(', ') || 'none'})`, {
            context: { option: 'origin.url', namespace: name },
          })
        }
        await this.origins.set(ORIGINS_KEY, [...((await this.origins.get(ORIGINS_KEY)) ?? []), origin])
      }
    }
    const sealed = this.sealSpec(name, spec, specs[name])
    const created = specs[name] === undefined
    specs[name] = sealed
    const handle = this.apply(name, sealed)
    await this.store.set(SPECS_KEY, specs)
    return { created, handle }
  }

  /** Origins namespace admins may use: the configured ones and those global admins added. */
  async allowedOrigins(): Promise<string[]> {
    const configured = (this.options.allowedOrigins ?? []).map(originOf)
    return [...new Set([...configured, ...((await this.origins.get(ORIGINS_KEY)) ?? [])])]
  }

  /** Removes a namespace and empties it (so that a namespace created later with the same name starts empty). */
  async remove(name: string): Promise<boolean> {
    const handle = await this.resolve(name).catch(() => undefined)
    if (handle === undefined) return false
    await handle.cache.clear()
    const specs = { ...(await this.readSpecs()) }
    delete specs[name]
    await this.store.set(SPECS_KEY, specs)
    this.handles.delete(name)
    this.stored.delete(name)
    this.cache.removeNamespace(name)
    return true
  }

  /** The write-behind flush for the in-process queue: the latest write per key goes to the namespace's origin. */
  async flush(writes: readonly BufferedWrite[]): Promise<void> {
    for (const write of writes) {
      const origin = (await this.resolve(write.namespace)).origin
      if (origin === undefined) continue
      if (write.value === null) await origin.remove(write.key)
      else await origin.put(write.key, write.value, write.version)
    }
  }

  close(): void {
    this.stopListening()
    if (this.ownsDispatcher) void this.dispatcher.close().catch(() => undefined)
  }

  private async readSpecs(): Promise<Record<string, NamespaceSpec>> {
    return (await this.store.get(SPECS_KEY)) ?? {}
  }

  private reload(): Promise<void> {
    this.reloading ??= this.readSpecs()
      .then((specs) => {
        for (const [name, spec] of Object.entries(specs)) {
          const current = this.stored.get(name)
          if (current !== undefined && isDeepStrictEqual(current, spec)) continue
          try {
            this.apply(name, spec)
          } catch {
            // A namespace this instance cannot serve (e.g. it requires encryption and this gateway has no keyring)
            // stays unknown here, answering E_NAMESPACE_NOT_FOUND, rather than stopping every other namespace.
          }
        }
        for (const name of this.handles.keys()) {
          if (specs[name] === undefined) {
            this.handles.delete(name)
            this.stored.delete(name)
            this.cache.removeNamespace(name)
          }
        }
      })
      .finally(() => {
        this.reloading = undefined
      })
    return this.reloading
  }

  /** Header values sealed with the keyring; WRITE_ONLY sent back by a client keeps the value stored before. */
  private sealSpec(name: string, spec: NamespaceSpec, previous: NamespaceSpec | undefined): NamespaceSpec {
    if (spec.origin?.headers === undefined) return spec
    const before = previous?.origin?.headers ?? {}
    const headers = Object.fromEntries(
      Object.entries(spec.origin.headers).map(([header, value]) => {
        if (value !== WRITE_ONLY) return [header, sealHeader(this.options.keyring, name, header, value)]
        const kept = before[header]
        if (kept === undefined) throw new StrataError('E_INVALID_OPTION', `origin.headers.${header} is ${WRITE_ONLY} but no value is stored for it`, { context: { option: `origin.headers.${header}` } })
        return [header, kept]
      }),
    )
    return { ...spec, origin: { ...spec.origin, headers } }
  }

  private apply(name: string, stored: NamespaceSpec): NamespaceHandle {
    const headers = stored.origin?.headers
    const opened = headers === undefined ? stored : { ...stored, origin: { ...stored.origin!, headers: Object.fromEntries(Object.entries(headers).map(([h, v]) => [h, openHeader(this.options.keyring, name, h, v)])) } }
    const shown = headers === undefined ? stored : { ...stored, origin: { ...stored.origin!, headers: Object.fromEntries(Object.keys(headers).map((h) => [h, WRITE_ONLY])) } }
    const origin = opened.origin === undefined ? undefined : new HttpOrigin(name, opened.origin, this.dispatcher)
    const cache = this.cache.defineNamespace<unknown>(name, {
      ...toPolicy(opened, this.options.keyring),
      ...(origin === undefined ? {} : { loader: origin.load, writer: origin.writer }),
    })
    const handle: NamespaceHandle = { name, spec: shown, cache, origin }
    this.handles.set(name, handle)
    this.stored.set(name, stored)
    return handle
  }
}
