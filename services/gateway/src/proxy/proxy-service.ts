import { StrataError, msgpackCodec, type StrataCache } from '@strata/core'
import { OriginClient } from './origin-client.js'
import { ProxyCache } from './proxy-cache.js'
import type { StoredValue } from './stored-response.js'

/** Who may use an upstream: anyone, API keys only, JWTs only, or either credential (the default). */
export type UpstreamAuth = 'public' | 'api-key' | 'jwt' | 'any'

/** One upstream the proxy fronts, served under /proxy/{name}/... and, optionally, at a mount path or for a Host. */
export interface UpstreamConfig {
  /** Base URL of the origin, e.g. http://127.0.0.1:4000 (a path prefix is kept). */
  url: string
  timeoutMs?: number
  /** Keep responses with a validator this long past their freshness, for conditional revalidation. Default 1 h. */
  keepForRevalidationMs?: number
  /** Default 0.1 (RFC 9111 §4.2.2's typical 10%). */
  heuristicFraction?: number
  /** Largest response body stored (and read into memory), bytes; a larger answer streams to the client, not stored. Default 8 MiB. */
  maxBodyBytes?: number
  /** Anyone may use this upstream without a gateway credential (when auth is on). Default false. Same as auth: 'public'. */
  public?: boolean
  /** Which credentials this upstream takes (when auth is on). Default 'any' ('public' when `public` is true). */
  auth?: UpstreamAuth
  /** Also serve this upstream at this path prefix of the gateway ('/' fronts a whole site; the gateway's own routes keep theirs). */
  mount?: string
  /** Also serve this upstream, whole, to requests whose Host is one of these (a site fronted by name, like a Varnish backend). */
  hosts?: string[]
  /** Origin connections. Default 16. */
  connections?: number
  /** Of those, how many one client (key, JWT subject or address) may hold at once. Default half. */
  connectionsPerClient?: number
  /** Requests waiting for a connection, all clients together, before 503 + Retry-After. Default 64 × connections. */
  queueLimit?: number
  /** Serve a stale response this long when the origin fails (RFC 5861 stale-if-error for every response). Default 0. */
  staleIfErrorMs?: number
  /** A Cache-Control field meant for this cache only (RFC 9213), e.g. 'Strata-Cache-Control'; removed from answers. */
  targetedCacheControl?: string
  /** Honour CDN-Cache-Control (RFC 9213 §3). Default true. */
  cdnCacheControl?: boolean
  /** Request headers forwarded on cacheable requests besides the built-in allowlist (names the origin Varies on). */
  forwardHeaders?: string[]
  /** Name the cache key in Cache-Status. Default false. */
  cacheStatusKey?: boolean
  /** Negative caching: how long a 404/410 without explicit freshness or Last-Modified is fresh, ms. Default 0. */
  negativeTtlMs?: number
}

/** Path prefixes that stay the gateway's own: a mount cannot take them. */
const RESERVED = ['/v1', '/proxy', '/health', '/metrics', '/docs', '/console']

/** The proxy caches of every configured upstream, each over its own engine namespace `proxy.<upstream>`. */
export class ProxyService {
  private readonly caches = new Map<string, ProxyCache>()
  private readonly configs = new Map<string, UpstreamConfig>()
  private readonly hosts = new Map<string, string>()

  constructor(cache: StrataCache, upstreams: Record<string, UpstreamConfig>, clock: () => number) {
    const mounted = new Map<string, string>()
    for (const [name, config] of Object.entries(upstreams)) {
      this.configs.set(name, config)
      if (config.mount !== undefined) {
        const prefix = config.mount.replace(/\/+$/, '')
        const other = mounted.get(prefix)
        if (!/^(\/[A-Za-z0-9._~-]+)*\/?$/.test(config.mount) || RESERVED.some((r) => prefix === r || prefix.startsWith(`${r}/`))) {
          throw new StrataError('E_INVALID_OPTION', `upstreams.${name}.mount '${config.mount}' must be '/' or a path like '/shop' outside the gateway's own ${RESERVED.join(', ')}`, { context: { upstream: name } })
        }
        if (other !== undefined) throw new StrataError('E_INVALID_OPTION', `upstreams.${name}.mount '${config.mount}' is already the mount of '${other}'`, { context: { upstream: name } })
        mounted.set(prefix, name)
      }
      for (const host of config.hosts ?? []) {
        const key = host.toLowerCase()
        const other = this.hosts.get(key)
        if (other !== undefined) throw new StrataError('E_INVALID_OPTION', `upstreams.${name}.hosts: '${host}' is already fronted by '${other}'`, { context: { upstream: name } })
        this.hosts.set(key, name)
      }
      const maxBodyBytes = config.maxBodyBytes ?? 8 * 1024 * 1024
      const store = cache.defineNamespace<StoredValue>(`proxy.${name}`, {
        codec: msgpackCodec,
        // Bodies are usually compressed already; deflating them again costs CPU on every L2 write.
        compressAbove: Number.POSITIVE_INFINITY,
        maxKeyLength: 8_192,
        maxValueBytes: maxBodyBytes + 64 * 1024,
        grace: 0,
        stampede: 'local',
        writeMode: 'cache-aside',
        refreshAhead: undefined,
      })
      const connections = config.connections ?? 16
      // A larger answer is never stored, so it is never held in memory either: it streams from the origin.
      const origin = new OriginClient(
        name,
        config.url,
        config.timeoutMs ?? 10_000,
        connections,
        {
          ...(config.connectionsPerClient === undefined ? {} : { perClient: config.connectionsPerClient }),
          ...(config.queueLimit === undefined ? {} : { maxQueued: config.queueLimit }),
        },
        maxBodyBytes,
      )
      const ownTarget = config.targetedCacheControl?.toLowerCase()
      this.caches.set(
        name,
        new ProxyCache(
          name,
          origin,
          store,
          {
            timeoutMs: config.timeoutMs ?? 10_000,
            keepForRevalidationMs: config.keepForRevalidationMs ?? 3_600_000,
            heuristicFraction: config.heuristicFraction ?? 0.1,
            targets: [...(ownTarget === undefined ? [] : [ownTarget]), ...(config.cdnCacheControl === false ? [] : ['cdn-cache-control'])],
            privateTargets: ownTarget === undefined ? [] : [ownTarget],
            staleIfErrorSeconds: Math.floor((config.staleIfErrorMs ?? 0) / 1000),
            forwardHeaders: new Set((config.forwardHeaders ?? []).map((h) => h.toLowerCase())),
            exposeKey: config.cacheStatusKey === true,
            negativeSeconds: Math.floor((config.negativeTtlMs ?? 0) / 1000),
          },
          clock,
        ),
      )
    }
  }

  /** The credentials each upstream takes. */
  authOf(upstream: string): UpstreamAuth {
    const config = this.configs.get(upstream)
    return config?.auth ?? (config?.public === true ? 'public' : 'any')
  }

  /** Whether any upstream is fronted by Host (upstreams.<name>.hosts); fixed at start. */
  get frontsHosts(): boolean {
    return this.hosts.size > 0
  }

  /** The upstream fronted for a Host header value (port and case ignored), if any. */
  upstreamForHost(host: string | undefined): string | undefined {
    if (host === undefined) return undefined
    return this.hosts.get(host.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, ''))
  }

  /** The URL a request is routed by: `/proxy/{upstream}{url}` when its Host is fronted, else the URL as sent. */
  rewriteForHost(host: string | undefined, url: string): string {
    // An absolute-form or asterisk-form target is left alone (not a path on the site): the router refuses it.
    if (this.hosts.size === 0 || !url.startsWith('/')) return url
    const upstream = this.upstreamForHost(host)
    return upstream === undefined ? url : `/proxy/${upstream}${url}`
  }

  /** Mount prefixes, longest first, each without a trailing slash ('' for '/'). */
  get mounts(): { prefix: string; upstream: string }[] {
    return [...this.configs]
      .filter(([, c]) => c.mount !== undefined)
      .map(([upstream, c]) => ({ prefix: c.mount!.replace(/\/+$/, ''), upstream }))
      .sort((a, b) => b.prefix.length - a.prefix.length)
  }

  get upstreams(): string[] {
    return [...this.caches.keys()]
  }

  /** Whether an upstream of this name is configured (asked on every proxied request: no list is built). */
  has(upstream: string): boolean {
    return this.caches.has(upstream)
  }

  cacheFor(upstream: string): ProxyCache {
    const found = this.caches.get(upstream)
    if (found === undefined) {
      throw new StrataError('E_UPSTREAM_NOT_FOUND', `No upstream '${upstream}' is configured (known: ${this.upstreams.join(', ') || 'none'})`, {
        context: { upstream },
      })
    }
    return found
  }

  async close(): Promise<void> {
    await Promise.all([...this.caches.values()].map((c) => c.close()))
  }
}
