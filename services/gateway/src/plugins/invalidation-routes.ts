import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import { NamespaceParam, TagList, problems } from '../http/schemas.js'
import type { NamespaceRegistry } from '../namespaces/namespace-registry.js'

export interface InvalidationRoutesOptions {
  registry: NamespaceRegistry
}

const InvalidationBody = Type.Object(
  {
    keys: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 1000 })),
    tags: Type.Optional(TagList),
    expireTags: Type.Optional(TagList),
    all: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ keys: ['user:42'], tags: ['org:7'] }, { expireTags: ['catalog'] }, { all: true }] },
)

/**
 * Manual invalidation of a namespace: keys and tags are gone, expireTags are stale (served within grace while they
 * refresh), all empties it. Only the cache changes — never the origin, whatever the write mode.
 */
export const invalidationRoutes: FastifyPluginCallbackTypebox<InvalidationRoutesOptions> = (app, { registry }, done) => {
  // The JSON API takes application/json only: anything else is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain')
  app.post(
    '/v1/namespaces/:ns/invalidations',
    {
      config: { auth: { scope: 'invalidate', action: 'namespace.invalidate' } },
      schema: {
        tags: ['invalidation'],
        summary: 'Invalidate keys, tags, or the whole namespace, in every tier and every gateway instance',
        params: Type.Object({ ns: NamespaceParam }),
        body: InvalidationBody,
        response: {
          200: Type.Object({ namespace: Type.String(), keys: Type.Integer(), tags: Type.Integer(), expireTags: Type.Integer(), all: Type.Boolean() }),
          ...problems(400, 404, 414, 415, 503),
        },
      },
    },
    async (request) => {
      const { ns } = request.params
      const handle = registry.get(ns) ?? (await registry.resolve(ns))
      const { keys = [], tags = [], expireTags = [], all = false } = request.body
      if (all) await handle.cache.clear()
      if (keys.length > 0) await handle.cache.deleteMany(keys)
      if (tags.length > 0) await handle.cache.deleteByTag(tags)
      if (expireTags.length > 0) await handle.cache.expireByTag(expireTags)
      return { namespace: ns, keys: keys.length, tags: tags.length, expireTags: expireTags.length, all }
    },
  )
  done()
}
