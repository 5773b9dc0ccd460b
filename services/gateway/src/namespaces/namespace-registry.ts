import { isDeepStrictEqual } from 'node:util'
import { StrataError, type BufferedWrite, type Keyring, type NamespaceCache, type StrataCache } from '@strata/core'
import { HttpOrigin } from './http-origin.js'
import { toPolicy, type NamespaceSpec } from './namespace-spec.js'

export interface NamespaceHandle {
  readonly name: string
  readonly spec: NamespaceSpec
  readonly cache: NamespaceCache<unknown>
  readonly origin: HttpOrigin | undefined
}

/** Where namespace specs live: a namespace of the cache itself, so every instance sharing the L2 sees them. */
export const REGISTRY_NAMESPACE = 'strata.namespaces'
const SPECS_KEY = 'specs'
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
  private readonly store: NamespaceCache<Record<string, NamespaceSpec>>
  private reloading: Promise<void> | undefined
  private readonly stopListening: () => void

  /** `keyring` seals the L2 entries of namespaces whose security policy requires encryption. */
  constructor(
    private readonly cache: StrataCache,
    private readonly options: { keyring?: Keyring | undefined } = {},
  ) {
    this.store = cache.defineNamespace<Record<string, NamespaceSpec>>(REGISTRY_NAMESPACE, {
      ttl: TEN_YEARS,
      maxTtl: TEN_YEARS,
      grace: 0,
      l1Ttl: 10_000,
      writeMode: 'cache-aside',
      stampede: 'local',
      refreshAhead: undefined,
    })
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

  /** Creates or replaces a namespace; validates before anything is stored. True when it was created. */
  async put(name: string, spec: NamespaceSpec): Promise<{ created: boolean; handle: NamespaceHandle }> {
    if (RESERVED.test(name)) {
      throw new StrataError('E_INVALID_OPTION', `Namespace name '${name}' is reserved (default, strata.*, proxy.*)`, { context: { namespace: name } })
    }
    toPolicy(spec, this.options.keyring)
    const specs = { ...(await this.readSpecs()) }
    const created = specs[name] === undefined
    specs[name] = spec
    const handle = this.apply(name, spec)
    await this.store.set(SPECS_KEY, specs)
    return { created, handle }
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
  }

  private async readSpecs(): Promise<Record<string, NamespaceSpec>> {
    return (await this.store.get(SPECS_KEY)) ?? {}
  }

  private reload(): Promise<void> {
    this.reloading ??= this.readSpecs()
      .then((specs) => {
        for (const [name, spec] of Object.entries(specs)) {
          const current = this.handles.get(name)
          if (current !== undefined && isDeepStrictEqual(current.spec, spec)) continue
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
            this.cache.removeNamespace(name)
          }
        }
      })
      .finally(() => {
        this.reloading = undefined
      })
    return this.reloading
  }

  private apply(name: string, spec: NamespaceSpec): NamespaceHandle {
    const origin = spec.origin === undefined ? undefined : new HttpOrigin(name, spec.origin)
    const cache = this.cache.defineNamespace<unknown>(name, {
      ...toPolicy(spec, this.options.keyring),
      ...(origin === undefined ? {} : { loader: origin.load, writer: origin.writer }),
    })
    const handle: NamespaceHandle = { name, spec, cache, origin }
    this.handles.set(name, handle)
    return handle
  }
}
