import { StrataError, msgpackCodec, type StrataCache } from '@strata/core'
import { OriginClient } from './origin-client.js'
import { ProxyCache } from './proxy-cache.js'
import type { StoredValue } from './stored-response.js'

/** One upstream the proxy fronts, served under /proxy/{name}/... */
export interface UpstreamConfig {
  /** Base URL of the origin, e.g. http://127.0.0.1:4000 (a path prefix is kept). */
  url: string
  timeoutMs?: number
  /** Keep responses with a validator this long past their freshness, for conditional revalidation. Default 1 h. */
  keepForRevalidationMs?: number
  /** Default 0.1 (RFC 9111 §4.2.2's typical 10%). */
  heuristicFraction?: number
  /** Largest response body stored, bytes. Default 8 MiB. */
  maxBodyBytes?: number
  /** Anyone may use this upstream without a gateway credential (when auth is on). Default false. */
  public?: boolean
  /** Origin connections. Default 16. */
  connections?: number
}

/** The proxy caches of every configured upstream, each over its own engine namespace `proxy.<upstream>`. */
export class ProxyService {
  private readonly caches = new Map<string, ProxyCache>()

  constructor(cache: StrataCache, upstreams: Record<string, UpstreamConfig>, clock: () => number) {
    for (const [name, config] of Object.entries(upstreams)) {
      const store = cache.defineNamespace<StoredValue>(`proxy.${name}`, {
        codec: msgpackCodec,
        // Bodies are usually compressed already; deflating them again costs CPU on every L2 write.
        compressAbove: Number.POSITIVE_INFINITY,
        maxKeyLength: 8_192,
        maxValueBytes: (config.maxBodyBytes ?? 8 * 1024 * 1024) + 64 * 1024,
        grace: 0,
        stampede: 'local',
        writeMode: 'cache-aside',
        refreshAhead: undefined,
      })
      const origin = new OriginClient(name, config.url, config.timeoutMs ?? 10_000, config.connections ?? 16)
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
          },
          clock,
        ),
      )
    }
  }

  get upstreams(): string[] {
    return [...this.caches.keys()]
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
