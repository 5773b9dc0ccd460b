import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import { InvalidationRecordEventData } from '@strata/bus'
import type { InvalidationHistory } from '../history/invalidation-history.js'
import { NamespaceParam, problems } from '../http/schemas.js'

export interface HistoryRoutesOptions {
  history: InvalidationHistory
}

// @strata/invalidation's one record: the same the invalidator publishes on strata.invalidations.records.v1.
const RecordSchema = InvalidationRecordEventData
const Query = Type.Object(
  {
    namespace: Type.Optional(NamespaceParam),
    limit: Type.Optional(Type.String({ pattern: '^([1-9]\\d{0,2}|1000)$', description: '1 to 1000, default 100' })),
  },
  { additionalProperties: false },
)

/**
 * `GET /v1/invalidations`: this instance's recent invalidations and, with a bus, the invalidators' (their records on
 * strata.invalidations.records.v1), newest first (a bounded ring; see the history).
 */
export const historyRoutes: FastifyPluginCallbackTypebox<HistoryRoutesOptions> = (app, { history }, done) => {
  app.get(
    '/v1/invalidations',
    {
      // read on the namespace asked about, or on every namespace (*) for the whole history.
      config: { auth: { scope: 'read', audit: false, namespace: (request) => (request.query as { namespace?: unknown }).namespace === undefined ? '*' : String((request.query as { namespace: unknown }).namespace) } },
      schema: {
        tags: ['invalidation'],
        summary: "Recent invalidations: this instance's (manual, events, purges, subject deletes) and the invalidators', newest first",
        description: `A ring of the last ${history.capacity} per gateway instance, kept in memory and lost on restart (the audit log is the lasting record). With the Kafka bus, the invalidators' records (strata.invalidations.records.v1) join it as they are published; another gateway instance's own invalidations do not.`,
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
