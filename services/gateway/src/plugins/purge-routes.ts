import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import { StrataError } from '@strata/core'
import type { InvalidationExecutor } from '@strata/invalidation'
import { problems } from '../http/schemas.js'
import type { InvalidationHistory } from '../history/invalidation-history.js'
import type { ProxyService } from '../proxy/proxy-service.js'

export interface PurgeRoutesOptions {
  proxy: ProxyService
  history: InvalidationHistory
  executor: InvalidationExecutor
}

const PurgeBody = Type.Object(
  {
    url: Type.Optional(Type.String({ pattern: '^/proxy/[A-Za-z0-9_-]{1,64}/', description: 'A gateway proxy URL path, e.g. /proxy/demo/products/42' })),
    upstream: Type.Optional(Type.String({ description: 'Needed with surrogateKeys' })),
    surrogateKeys: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 256 })),
    soft: Type.Optional(
      Type.Boolean({ description: 'Mark the responses stale instead of removing them (a soft purge): served within their stale-while-revalidate or stale-if-error windows while they revalidate' }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
)

/**
 * Purge for the proxy: by URL (every Vary variant) or by surrogate key, across every gateway instance; `soft` marks the
 * responses stale instead of removing them.
 */
export const purgeRoutes: FastifyPluginCallbackTypebox<PurgeRoutesOptions> = (app, { proxy, history, executor }, done) => {
  // The JSON API takes application/json only: anything else is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain')
  app.post(
    '/v1/proxy/purge',
    {
      // The upstream is in the body, which is not parsed when credentials are checked: purging needs invalidate on *.
      config: { auth: { scope: 'invalidate', namespace: '*', action: 'proxy.purge' } },
      schema: {
        tags: ['invalidation'],
        summary: 'Purge stored proxy responses by URL or by Surrogate-Key',
        body: PurgeBody,
        response: {
          200: Type.Object({ purged: Type.Object({ urls: Type.Integer(), surrogateKeys: Type.Integer() }), soft: Type.Optional(Type.Boolean()) }),
          ...problems(400, 404, 415),
        },
      },
    },
    async (request) => {
      const { url, upstream, surrogateKeys } = request.body
      const soft = request.body.soft === true
      let urls = 0
      const actor = request.principal?.id ?? 'anonymous'
      if (url !== undefined) {
        const [, , name = '', ...rest] = url.split('/')
        await proxy.cacheFor(name).purgeUrl(`/${rest.join('/')}`, { soft })
        urls = 1
        history.note({ trigger: 'purge', actor, upstream: name, urls: [url], ...(soft ? { soft } : {}) })
      }
      if (surrogateKeys !== undefined) {
        if (upstream === undefined) throw new StrataError('E_INVALID_OPTION', 'surrogateKeys need the upstream they belong to')
        history.add(await executor.apply({ trigger: 'purge', actor, upstream, surrogateKeys, ...(soft ? { soft } : {}), occurredAt: Date.now() }))
      }
      return { purged: { urls, surrogateKeys: surrogateKeys?.length ?? 0 }, ...(soft ? { soft } : {}) }
    },
  )
  done()
}
