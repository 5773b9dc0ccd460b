import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { NamespaceCache } from '@strata/core'
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_RESPONSE_TTL_MS,
  bodyOf,
  isCacheableRequest,
  responseNamespace,
  tagsFor,
  toCachedResponse,
  type CachedResponse,
  type ResponseCacheOptions,
  type ResponseCachePolicy,
} from '../response-cache/cached-response.js'

export type RouteCachePolicy = ResponseCachePolicy<FastifyRequest>

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Cache this route's 200 answers in Strata: `true` for the plugin defaults, or a policy. */
    strataCache?: boolean | RouteCachePolicy
  }
  interface FastifyInstance {
    /** The namespace holding the cached answers, e.g. to `deleteByTag` when the data behind them changes. */
    strataResponses: NamespaceCache<CachedResponse>
  }
}

const MISS = Symbol('strata-route-cache-miss')
type Pending = { key: string; policy: RouteCachePolicy }
type WithPending = FastifyRequest & { [MISS]?: Pending }

/**
 * Caches the answers of the routes that opt in with `config: { strataCache: ... }`: a hit is answered in onRequest
 * (the handler does not run; X-Cache: HIT), a miss runs the handler and stores its 200 answer in onSend (X-Cache: MISS).
 */
export const strataRouteCache = fp<ResponseCacheOptions>(
  (app: FastifyInstance, options: ResponseCacheOptions, done: (error?: Error) => void) => {
    const responses = responseNamespace(options)
    const defaultTtl = options.ttl ?? DEFAULT_RESPONSE_TTL_MS
    const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
    app.decorate('strataResponses', responses)

    app.addHook('onRequest', async (request: WithPending, reply: FastifyReply) => {
      const setting = request.routeOptions.config.strataCache
      if (setting === undefined || setting === false) return
      const policy: RouteCachePolicy = setting === true ? {} : setting
      if (!isCacheableRequest(request.method, request.headers, policy.cacheCredentialed)) return
      const key = policy.key?.(request) ?? `GET ${request.url}`
      const cached = await responses.get(key)
      if (cached === undefined) {
        request[MISS] = { key, policy }
        return
      }
      reply.code(cached.status).header('x-cache', 'HIT')
      if (cached.contentType !== undefined) reply.header('content-type', cached.contentType)
      return reply.send(bodyOf(cached))
    })

    app.addHook('onSend', async (request: WithPending, reply: FastifyReply, payload: unknown) => {
      const pending = request[MISS]
      if (pending === undefined) return payload
      reply.header('x-cache', 'MISS')
      if (reply.statusCode !== 200) return payload
      const contentType = reply.getHeader('content-type')
      const stored = toCachedResponse(reply.statusCode, typeof contentType === 'string' ? contentType : undefined, payload, maxBytes)
      if (stored === undefined) return payload
      const tags = tagsFor(pending.policy, request)
      // A cache failure must not fail the answer the handler produced: it is reported through the cache's events.
      await responses.set(pending.key, stored, { ttl: pending.policy.ttl ?? defaultTtl, ...(tags === undefined ? {} : { tags }) }).catch((error: unknown) => {
        request.log.warn({ err: error }, 'strata route cache: storing the answer failed')
      })
      return payload
    })
    done()
  },
  { name: 'strata-route-cache', fastify: '5.x' },
)
