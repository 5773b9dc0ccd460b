import { METHODS } from 'node:http'
import { Readable } from 'node:stream'
import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { StrataError, isStrataError } from '@strata/core'
import { credentialOf, type AuthRequirement } from '@strata/security'
import { cacheStatus } from '../http/cache-status.js'
import { problems } from '../http/schemas.js'
import type { ProxyService } from '../proxy/proxy-service.js'
import type { ProxyTraffic } from '../stats/proxy-traffic.js'
import { normalizeTarget } from '../proxy/request-target.js'

export interface ProxyRoutesOptions {
  proxy: ProxyService
  /** Where each answer is counted per upstream (GET /v1/stats). */
  traffic?: ProxyTraffic
}

const Params = Type.Object({ upstream: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), '*': Type.String() })
const UPSTREAM_NAME = /^[A-Za-z0-9_-]{1,64}$/

/** Methods with defined safe semantics that read (RFC 9110 §9.2.1, WebDAV): `read` scope. Everything else is `write`. */
const SAFE = ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH', 'REPORT']
/**
 * Every method Node's parser knows, except CONNECT (a tunnel, not a request for a resource), PURGE (ours) and QUERY
 * (Fastify refuses it without a Content-Type before any route sees it).
 */
const FORWARDED_METHODS = METHODS.filter((m) => m !== 'CONNECT' && m !== 'PURGE' && m !== 'QUERY')
/** The methods OpenAPI 3 can describe; the others are served the same way but left out of the document. */
const OPENAPI_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'POST', 'PUT', 'PATCH', 'DELETE'])
export const PROXY_READ_METHODS = FORWARDED_METHODS.filter((m) => SAFE.includes(m))
export const PROXY_WRITE_METHODS = FORWARDED_METHODS.filter((m) => !SAFE.includes(m))

/**
 * The caching reverse proxy. Every upstream is served at /proxy/{upstream}/{path}?{query}; one may also be mounted at a
 * path prefix (`mount: '/'` fronts a whole site, the gateway's own routes keep theirs) or fronted for a Host
 * (`hosts`, rewritten to its /proxy/{upstream} form before routing). Bodies of any content type pass through
 * untouched, whatever the method — methods the gateway does not know (M-SEARCH, PROPFIND) reach the origin too.
 *
 * With auth on, reading needs `read` and other methods `write` on the namespace `proxy.<upstream>`; an upstream's
 * `auth` may instead make it public, or take only API keys or only JWTs. The gateway credential is consumed here:
 * `x-api-key`, and an Authorization header that authenticated the caller, are not forwarded, so they neither reach
 * the origin nor make the response private to the cache (RFC 9111 §3.5). An Authorization header of another scheme
 * sent beside an x-api-key is the origin's, and goes through. `PURGE` (the Varnish convention) removes the target's
 * stored responses, or with `Fastly-Soft-Purge: 1` marks them stale, and needs `invalidate`.
 */
export const proxyRoutes: FastifyPluginCallbackTypebox<ProxyRoutesOptions> = (app, { proxy, traffic }, done) => {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))
  for (const method of [...FORWARDED_METHODS, 'PURGE']) {
    if (!app.supportedMethods.includes(method)) app.addHttpMethod(method, { hasBody: true })
  }

  // Declared on the request up front so that setting it per request does not change the request object's shape.
  app.decorateRequest('proxyRouted', null)
  const route = (request: FastifyRequest): ProxyRouted => {
    const cached = request.proxyRouted
    if (cached !== null) return cached
    const mount = request.routeOptions.config.proxyMount
    let routed: ProxyRouted
    if (mount !== undefined) routed = { upstream: mount.upstream, target: request.url.slice(mount.prefix.length) }
    else {
      // /proxy/{upstream}{target}: the name as sent must be the name as routed (a percent-encoded name is refused).
      const rest = request.url.slice('/proxy/'.length)
      const end = rest.search(/[/?]|$/)
      const upstream = rest.slice(0, end)
      if (!UPSTREAM_NAME.test(upstream)) throw new StrataError('E_INVALID_TARGET', 'The upstream name must be sent as it is configured, not percent-encoded', { context: { upstream: upstream.slice(0, 64) } })
      routed = { upstream, target: rest.slice(end) }
    }
    request.proxyRouted = routed
    return routed
  }
  const upstreamOf = (request: FastifyRequest): string => {
    try {
      return route(request).upstream
    } catch {
      return ''
    }
  }
  const namespace = (request: FastifyRequest) => `proxy.${upstreamOf(request)}`
  const publicWhen = (request: FastifyRequest) => {
    const upstream = upstreamOf(request)
    return proxy.has(upstream) && proxy.authOf(upstream) === 'public'
  }

  // Counted once the answer is sent, errors included; only configured upstreams, so made-up names cannot grow the table.
  if (traffic !== undefined) {
    app.addHook('onResponse', (request, reply, next) => {
      const upstream = upstreamOf(request)
      if (proxy.has(upstream)) traffic.record(upstream, reply.getHeader('x-cache') as string | undefined)
      next()
    })
  }

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const { upstream, target } = route(request)
      const cache = proxy.cacheFor(upstream)
      checkCredentialKind(request, proxy.authOf(upstream), upstream)
      const path = normalizeTarget(target)
      if (request.method === 'PURGE') {
        const soft = isSoftPurge(request.headers[SOFT_PURGE_HEADER])
        await cache.purgeUrl(path, { soft })
        reply.header('cache-status', cacheStatus({ fwd: 'bypass', detail: soft ? 'soft-purged' : 'purged' }))
        return reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify({ purged: { urls: 1 }, ...(soft ? { soft } : {}) }))
      }
      const answer = await cache.handle({
        method: request.method,
        path,
        headers: forwardable(request),
        body: Buffer.isBuffer(request.body) ? request.body : undefined,
        client: request.principal?.id ?? `ip:${request.ip}`,
        onInterim: interimRelay(reply),
      })
      reply.code(answer.status).headers(answer.headers)
      if (answer.age !== undefined) reply.header('age', answer.age)
      reply.header('x-cache', answer.outcome).header('cache-status', answer.cacheStatus)
      const { body } = answer
      return reply.send(body === undefined || body instanceof Readable || Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength))
    } catch (error) {
      // Errors are answered by the app's problem+json handler; they still say what this cache did (RFC 9211).
      const code = isStrataError(error) ? error.code : 'E_INTERNAL'
      reply.header('cache-status', cacheStatus({ fwd: code === 'E_ORIGIN_FAILED' ? 'miss' : 'bypass', detail: code }))
      throw error
    }
  }
  const schema = {
    tags: ['proxy'],
    summary: 'Proxied request, cached per RFC 9111 (GET/HEAD); Cache-Status (RFC 9211) and X-Cache: HIT|MISS|STALE|REVALIDATED|BYPASS',
    response: {
      // The upstream's answer passes through as bytes (never serialised), whatever its status and content type.
      '2XX': { description: "The upstream's answer, stored and served per RFC 9111", content: { '*/*': { schema: {} } } },
      ...problems(400, 404, 502, 503, 504),
    },
  }
  const routesFor = (url: string, extra: { config?: Record<string, unknown>; schema?: Record<string, unknown> }): RouteOptions[] => {
    const split = (methods: string[]) => [methods.filter((m) => OPENAPI_METHODS.has(m)), methods.filter((m) => !OPENAPI_METHODS.has(m))]
    const routes: RouteOptions[] = []
    const add = (methods: string[], auth: AuthRequirement, summary?: string) => {
      split(methods).forEach((group, i) => {
        if (group.length === 0) return
        routes.push({
          method: group,
          url,
          exposeHeadRoute: false,
          // Origin responses keep their own headers; the gateway's security headers are for its API.
          config: { auth, securityHeaders: false, ...extra.config },
          schema: { ...schema, ...extra.schema, ...(summary === undefined ? {} : { summary }), ...(i === 1 ? { hide: true } : {}) },
          handler,
        })
      })
    }
    add(PROXY_READ_METHODS, { scope: 'read', namespace, publicWhen, audit: false })
    add(PROXY_WRITE_METHODS, { scope: 'write', namespace, publicWhen, action: 'proxy.write' })
    add(
      ['PURGE'],
      { scope: 'invalidate', namespace, action: 'proxy.purge' },
      `Purge the stored responses of this target (every Vary variant), on every gateway instance; with ${SOFT_PURGE_HEADER}: 1 they are marked stale instead (served within their stale windows while they revalidate)`,
    )
    return routes
  }
  for (const options of routesFor('/proxy/:upstream/*', { schema: { params: Params } })) app.route(options)
  for (const { prefix, upstream } of proxy.mounts) {
    const config = { proxyMount: { prefix, upstream } }
    // A mount is the same handler as /proxy/{upstream}; only the OpenAPI document leaves it out (it would repeat).
    for (const url of prefix === '' ? ['/', '/*'] : [prefix, `${prefix}/*`]) {
      for (const options of routesFor(url, { config, schema: { hide: true } })) app.route(options)
    }
  }
  done()
}

/**
 * The request's fields without the gateway credential it consumed: `x-api-key`, and an Authorization header that
 * authenticated the caller. Without either, the request's own (unchanged) object.
 */
function forwardable(request: FastifyRequest): Record<string, string | string[] | undefined> {
  const authenticated = request.principal !== undefined
  if (request.headers['x-api-key'] === undefined && !(authenticated && request.headers.authorization !== undefined)) return request.headers
  const headers = { ...request.headers }
  delete headers['x-api-key']
  const credential = credentialOf(request.headers)
  if (authenticated && credential.kind === 'token' && credential.source === 'authorization') delete headers.authorization
  return headers
}

/** Fastly's request header for a soft purge (`Fastly-Soft-Purge: 1`), so purge tooling written for it works unchanged. */
const SOFT_PURGE_HEADER = 'fastly-soft-purge'

function isSoftPurge(value: string | string[] | undefined): boolean {
  return (Array.isArray(value) ? value.at(-1) : value)?.trim() === '1'
}

/** An upstream that takes only API keys or only JWTs refuses the other kind (403, before any origin traffic). */
function checkCredentialKind(request: FastifyRequest, auth: string, upstream: string): void {
  const principal = request.principal
  if (principal === undefined || auth === 'any' || auth === 'public') return
  const wanted = auth === 'jwt' ? 'jwt' : 'api-key'
  if (principal.kind !== wanted) {
    throw new StrataError('E_FORBIDDEN', `Upstream '${upstream}' takes ${wanted === 'jwt' ? 'JWT bearer tokens' : 'API keys'} only (upstreams.${upstream}.auth)`, {
      context: { upstream, auth },
    })
  }
}

/** Where a proxied request goes: the upstream and the target below it, from the raw URL (never the decoded parameters). */
interface ProxyRouted {
  upstream: string
  target: string
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the proxy routes (auth, handler and counters route a request once); null elsewhere. */
    proxyRouted: ProxyRouted | null
  }
  interface FastifyContextConfig {
    /** Set on the routes of an upstream mounted at a path prefix. */
    proxyMount?: { prefix: string; upstream: string }
  }
}

/**
 * The 1xx relay of one request. Made by a function, not written inline: the gateway runs under tsx, whose keep-names
 * transform gives a named closure (or a bound named function) a defineProperty call that cost microseconds per request;
 * an arrow returned from here has no inferred name, so it costs a plain allocation.
 */
function interimRelay(reply: FastifyReply): (status: number, hints: Record<string, string | string[]>) => void {
  return (status, hints) => relayInterim(reply, status, hints)
}

/**
 * RFC 9110 §15.2: a proxy forwards 1xx answers. 103 Early Hints (RFC 8297) is the one that means something past this
 * hop (100 Continue answers our own request, 101 is refused, 102 is obsolete); it goes to the client before the final
 * answer, as long as that has not started.
 */
function relayInterim(reply: FastifyReply, status: number, hints: Record<string, string | string[]>): void {
  if (status !== 103 || reply.raw.headersSent || reply.raw.writableEnded) return
  reply.raw.writeEarlyHints(hints)
}
