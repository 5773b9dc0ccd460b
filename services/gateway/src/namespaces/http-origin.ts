import { request, type Dispatcher } from 'undici'
import { StrataError, type LoaderContext, type Writer } from '@strata/core'
import { parseCacheControl } from '../proxy/cache-control.js'
import type { OriginSpec } from './namespace-spec.js'

/** What a read-through load returns when the origin does not have the key: answered as 404, never cached. */
export const ORIGIN_MISS: unique symbol = Symbol('strata.origin-miss')

/**
 * A namespace's HTTP origin: GET {url} loads a key (read-through), PUT {url} with the JSON value writes it and
 * DELETE {url} removes it (write-through and the write-behind flush). The entry version goes along as
 * `X-Strata-Version` so an origin can drop writes older than what it has.
 */
export class HttpOrigin {
  private readonly timeoutMs: number

  constructor(
    readonly namespace: string,
    private readonly spec: OriginSpec,
    private readonly dispatcher?: Dispatcher,
  ) {
    this.timeoutMs = spec.timeoutMs ?? 5_000
  }

  /**
   * The URL for a key. The key is one path segment (`/` and `\\` are percent-encoded); `.` and `..` are refused,
   * since URL parsing resolves them (even as %2E%2E) and `..` would reach above the template's path.
   */
  url(key: string): string {
    if (key === '.' || key === '..') {
      throw new StrataError('E_KEY_INVALID', `Key '${key}' cannot be sent to the origin of namespace '${this.namespace}': it is a relative path segment`, {
        context: { namespace: this.namespace },
      })
    }
    return this.spec.url.replaceAll('{key}', encodeURIComponent(key))
  }

  readonly load = async (context: LoaderContext<unknown>): Promise<unknown> => {
    const { statusCode, headers, body } = await this.call('GET', context.key)
    if (statusCode === 404) {
      await body.dump()
      context.skipCache()
      return ORIGIN_MISS
    }
    if (statusCode < 200 || statusCode >= 300) {
      await body.dump()
      throw this.failure(`GET answered ${statusCode}`, context.key)
    }
    const value: unknown = await body.json()
    if (this.spec.honorCacheControl !== false) {
      const cc = parseCacheControl(headers['cache-control'])
      if (cc.has('no-store') || cc.has('private')) context.skipCache()
      const maxAge = cc.seconds('s-maxage') ?? cc.seconds('max-age')
      if (maxAge !== undefined && maxAge > 0) context.setTtl(maxAge * 1000)
      const surrogate = headers['surrogate-key']
      const tags = (Array.isArray(surrogate) ? surrogate.join(' ') : (surrogate ?? '')).split(/\s+/).filter((t) => t !== '' && t.length <= 256)
      if (tags.length > 0) context.setTags(tags.slice(0, 64))
    }
    return value
  }

  async loadMany(keys: readonly string[]): Promise<Map<string, unknown>> {
    const found = new Map<string, unknown>()
    await Promise.all(
      keys.map(async (key) => {
        const { statusCode, body } = await this.call('GET', key)
        if (statusCode === 404) return void (await body.dump())
        if (statusCode < 200 || statusCode >= 300) {
          await body.dump()
          throw this.failure(`GET answered ${statusCode}`, key)
        }
        found.set(key, await body.json())
      }),
    )
    return found
  }

  async put(key: string, value: unknown, version: number): Promise<void> {
    const { statusCode, body } = await this.call('PUT', key, JSON.stringify(value), version)
    await body.dump()
    if (statusCode < 200 || statusCode >= 300) throw this.failure(`PUT answered ${statusCode}`, key)
  }

  async remove(key: string): Promise<void> {
    const { statusCode, body } = await this.call('DELETE', key)
    await body.dump()
    if (statusCode !== 404 && (statusCode < 200 || statusCode >= 300)) throw this.failure(`DELETE answered ${statusCode}`, key)
  }

  /** The engine's write-through writer (removal is done by the KV route, so an invalidation never deletes at the origin). */
  readonly writer: Writer<unknown> = { write: (key, value, entry) => this.put(key, value, entry.version) }

  private async call(method: 'GET' | 'PUT' | 'DELETE', key: string, payload?: string, version?: number): Promise<Dispatcher.ResponseData> {
    const url = this.url(key)
    const headers: Record<string, string> = { accept: 'application/json', ...this.spec.headers }
    if (payload !== undefined) headers['content-type'] = 'application/json'
    if (version !== undefined) headers['x-strata-version'] = String(version)
    try {
      return await request(url, {
        method,
        headers,
        body: payload,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(this.dispatcher === undefined ? {} : { dispatcher: this.dispatcher }),
      })
    } catch (error) {
      throw this.failure(error instanceof Error ? error.message : String(error), key, error)
    }
  }

  private failure(why: string, key: string, cause?: unknown): StrataError {
    return new StrataError('E_ORIGIN_FAILED', `Origin of namespace '${this.namespace}' failed for a key: ${why}`, {
      cause,
      context: { namespace: this.namespace, key },
    })
  }
}
