import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import { problems } from '../http/schemas.js'
import type { ProxyService } from '../proxy/proxy-service.js'

export interface ProxyRoutesOptions {
  proxy: ProxyService
}

/**
 * The caching reverse proxy: /proxy/{upstream}/{path}?{query} goes to the upstream's {path}?{query}. Path-based
 * (not Host-based) so that one gateway address fronts several origins and the routes appear in the OpenAPI document.
 * Bodies of any content type pass through untouched.
 */
export const proxyRoutes: FastifyPluginCallbackTypebox<ProxyRoutesOptions> = (app, { proxy }, done) => {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

  app.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: '/proxy/:upstream/*',
    exposeHeadRoute: false,
    schema: {
      tags: ['proxy'],
      summary: 'Proxied request, cached per RFC 9111 (GET/HEAD); X-Cache: HIT|MISS|STALE|REVALIDATED|BYPASS',
      params: Type.Object({ upstream: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), '*': Type.String() }),
      response: {
        // The upstream's answer passes through as bytes (never serialised), whatever its status and content type.
        '2XX': { description: "The upstream's answer, stored and served per RFC 9111", content: { '*/*': { schema: {} } } },
        ...problems(404, 502, 504),
      },
    },
    handler: async (request, reply) => {
      const cache = proxy.cacheFor(request.params.upstream)
      const query = request.url.indexOf('?')
      const path = `/${request.params['*']}${query === -1 ? '' : request.url.slice(query)}`
      const answer = await cache.handle({
        method: request.method,
        path,
        headers: request.headers,
        body: Buffer.isBuffer(request.body) ? request.body : undefined,
      })
      reply.code(answer.status).headers(answer.headers).header('x-cache', answer.outcome)
      return reply.send(answer.body === undefined ? undefined : Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength))
    },
  })
  done()
}
