import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import type { InvalidationHistory } from '../history/invalidation-history.js'
import { NamespaceParam, problems } from '../http/schemas.js'

export interface HistoryRoutesOptions {
  history: InvalidationHistory
}

const RecordSchema = Type.Object({
  id: Type.String(),
  at: Type.Number({ description: 'epoch ms' }),
  namespace: Type.Union([Type.String(), Type.Null()], { description: 'null for proxy purges and subject purges' }),
  source: Type.Union([Type.Literal('api'), Type.Literal('event'), Type.Literal('purge'), Type.Literal('subject')]),
  actor: Type.String({ description: 'key:<id>, jwt:<sub>, or anonymous' }),
  keys: Type.Array(Type.String(), { description: 'Keys, or URLs for a proxy purge' }),
  tags: Type.Array(Type.String(), { description: 'Tags, or surrogate keys for a proxy purge' }),
  prefixes: Type.Array(Type.String()),
  expireTags: Type.Array(Type.String()),
  all: Type.Boolean(),
  upstream: Type.Optional(Type.String()),
  event: Type.Optional(Type.String({ description: 'The domain event type (source event)' })),
})
const Query = Type.Object(
  {
    namespace: Type.Optional(NamespaceParam),
    limit: Type.Optional(Type.String({ pattern: '^([1-9]\\d{0,2}|1000)$', description: '1 to 1000, default 100' })),
  },
  { additionalProperties: false },
)

/** `GET /v1/invalidations`: this instance's recent invalidations, newest first (a bounded ring; see the history). */
export const historyRoutes: FastifyPluginCallbackTypebox<HistoryRoutesOptions> = (app, { history }, done) => {
  app.get(
    '/v1/invalidations',
    {
      // read on the namespace asked about, or on every namespace (*) for the whole history.
      config: { auth: { scope: 'read', audit: false, namespace: (request) => (request.query as { namespace?: unknown }).namespace === undefined ? '*' : String((request.query as { namespace: unknown }).namespace) } },
      schema: {
        tags: ['invalidation'],
        summary: "This instance's recent invalidations (manual, events, purges, subject deletes), newest first",
        description: `A ring of the last ${history.capacity} per gateway instance, kept in memory: not shared between instances and lost on restart (the audit log is the lasting record).`,
        querystring: Query,
        response: { 200: Type.Object({ invalidations: Type.Array(RecordSchema) }), ...problems(400, 401, 403) },
      },
    },
    (request) => {
      const { namespace, limit } = request.query
      return Promise.resolve({ invalidations: history.list({ namespace, limit: limit === undefined ? 100 : Number(limit) }) })
    },
  )
  done()
}
