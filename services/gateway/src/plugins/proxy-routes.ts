import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { credentialOf } from '@strata/security'
import { problems } from '../http/schemas.js'
import type { ProxyService } from '../proxy/proxy-service.js'

export interface ProxyRoutesOptions {
  proxy: ProxyService
  /** Upstreams anyone may use without a gateway credential. */
  publicUpstreams?: ReadonlySet<string>
}

const Params = Type.Object({ upstream: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), '*': Type.String() })

/**
 * The caching reverse proxy: /proxy/{upstream}/{path}?{query} goes to the upstream's {path}?{query}. Path-based
 * (not Host-based) so that one gateway address fronts several origins and the routes appear in the OpenAPI document.
 * Bodies of any content type pass through untouched.
 *
 * With auth on, reading needs `read` and unsafe methods `write` on the namespace `proxy.<upstream>`. The gateway
 * credential is consumed here: `x-api-key`, and an Authorization header that authenticated the caller, are not
 * forwarded, so they neither reach the origin nor make the response private to the cache (RFC 9111 §3.5). An
 * Authorization header of another scheme sent beside an x-api-key is the origin's, and goes through.
 */
export const proxyRoutes: FastifyPluginCallbackTypebox<ProxyRoutesOptions> = (app, { proxy, publicUpstreams = new Set() }, done) => {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

  const namespace = (request: FastifyRequest) => `proxy.${(request.params as { upstream?: string }).upstream ?? ''}`
  const publicWhen = (request: FastifyRequest) => publicUpstreams.has((request.params as { upstream?: string }).upstream ?? '')
  const handler = async (request: FastifyRequest<{ Params: { upstream: string; '*': string } }>, reply: FastifyReply) => {
    const cache = proxy.cacheFor(request.params.upstream)
    // The target exactly as the client sent it (not the decoded route parameter): `%2F` and `%3B` stay encoded, so
    // the origin sees the same resource the cache key names, and no decoding can make two targets share an entry.
    const path = request.url.slice(`/proxy/${request.params.upstream}`.length)
    const headers = { ...request.headers }
    delete headers['x-api-key']
    const credential = credentialOf(request.headers)
    if (request.principal !== undefined && credential.kind === 'token' && credential.source === 'authorization') delete headers.authorization
    const answer = await cache.handle({
      method: request.method,
      path,
      headers,
      body: Buffer.isBuffer(request.body) ? request.body : undefined,
    })
    reply.code(answer.status).headers(answer.headers).header('x-cache', answer.outcome)
    return reply.send(answer.body === undefined ? undefined : Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength))
  }
  const schema = {
    tags: ['proxy'],
    summary: 'Proxied request, cached per RFC 9111 (GET/HEAD); X-Cache: HIT|MISS|STALE|REVALIDATED|BYPASS',
    params: Params,
    response: {
      // The upstream's answer passes through as bytes (never serialised), whatever its status and content type.
      '2XX': { description: "The upstream's answer, stored and served per RFC 9111", content: { '*/*': { schema: {} } } },
      ...problems(404, 502, 504),
    },
  }

  app.route({
    method: ['GET', 'HEAD', 'OPTIONS'],
    url: '/proxy/:upstream/*',
    exposeHeadRoute: false,
    // Origin responses keep their own headers; the gateway's security headers are for its API.
    config: { auth: { scope: 'read', namespace, publicWhen, audit: false }, securityHeaders: false },
    schema,
    handler,
  })
  app.route({
    method: ['POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/proxy/:upstream/*',
    config: { auth: { scope: 'write', namespace, publicWhen, action: 'proxy.write' }, securityHeaders: false },
    schema,
    handler,
  })
  done()
}
