import type { NamespaceCache, StrataCache } from '@strata/core'

/** A response as the framework adapters store it: JSON-friendly, so it works with any Strata codec and L2. */
export interface CachedResponse {
  status: number
  contentType: string | undefined
  /** utf-8 text, or base64 when `binary`. */
  body: string
  binary: boolean
}

/** What a route (Fastify) or a mount (Express) says about caching its answers. */
export interface ResponseCachePolicy<Request> {
  /** ms; default the namespace ttl. */
  ttl?: number
  /** Tags to invalidate the stored answers by (`namespace.deleteByTag`). */
  tags?: readonly string[] | ((request: Request) => readonly string[])
  /** The cache key; default `<method> <url>` (query included). */
  key?: (request: Request) => string
  /**
   * Cache answers to requests that carry credentials (Authorization or Cookie). Default false: one user's answer
   * must never be served to another.
   */
  cacheCredentialed?: boolean
}

export interface ResponseCacheOptions {
  cache: StrataCache
  /** Strata namespace of the stored answers. Default `http`. */
  namespace?: string
  /** Default ttl, ms, for routes that do not give one. Default 60 s. */
  ttl?: number
  /** Answers larger than this are passed through and not stored. Default 1 MiB. */
  maxBodyBytes?: number
}

export const DEFAULT_RESPONSE_TTL_MS = 60_000
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

export function responseNamespace(options: ResponseCacheOptions): NamespaceCache<CachedResponse> {
  return options.cache.namespace<CachedResponse>(options.namespace ?? 'http')
}

/** Only safe reads without credentials are shared between callers (RFC 9111 §3 and §3.5). */
export function isCacheableRequest(method: string, headers: Record<string, unknown>, cacheCredentialed: boolean | undefined): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false
  if (cacheCredentialed === true) return true
  return headers.authorization === undefined && headers.cookie === undefined
}

/** The stored form of a body the framework is about to send; undefined for streams and oversized bodies. */
export function toCachedResponse(status: number, contentType: string | undefined, payload: unknown, maxBytes: number): CachedResponse | undefined {
  if (typeof payload === 'string') {
    return Buffer.byteLength(payload) > maxBytes ? undefined : { status, contentType, body: payload, binary: false }
  }
  if (Buffer.isBuffer(payload)) return payload.length > maxBytes ? undefined : { status, contentType, body: payload.toString('base64'), binary: true }
  return undefined
}

export function bodyOf(cached: CachedResponse): string | Buffer {
  return cached.binary ? Buffer.from(cached.body, 'base64') : cached.body
}

export function tagsFor<Request>(policy: ResponseCachePolicy<Request>, request: Request): readonly string[] | undefined {
  return typeof policy.tags === 'function' ? policy.tags(request) : policy.tags
}
