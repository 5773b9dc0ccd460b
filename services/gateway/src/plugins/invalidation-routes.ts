import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import { StrataError } from '@strata/core'
import { InvalidationRecordEventData } from '@strata/bus'
import { InvalidationTargetsBody, dryRun, targetsAreEmpty, type InvalidationExecutor } from '@strata/invalidation'
import { NamespaceParam, problems } from '../http/schemas.js'
import type { InvalidationHistory } from '../history/invalidation-history.js'
import type { NamespaceRegistry } from '../namespaces/namespace-registry.js'

export { MAX_SCANNED_FOR_TAG_COUNT } from '@strata/invalidation'

export interface InvalidationRoutesOptions {
  registry: NamespaceRegistry
  history: InvalidationHistory
  executor: InvalidationExecutor
  clock: () => number
}

const InvalidationBody = Type.Object(InvalidationTargetsBody, {
  additionalProperties: false,
  minProperties: 1,
  examples: [{ keys: ['user:42'], tags: ['org:7'] }, { expireTags: ['catalog'] }, { prefixes: ['cart:'] }, { all: true }, { tags: ['org:7'], dryRun: true }],
})
const Count = Type.Union([Type.Integer(), Type.Null()], { description: 'null: the store cannot count this' })
const InvalidationResult = Type.Object({
  namespace: Type.String(),
  keys: Type.Integer(),
  tags: Type.Integer(),
  expireTags: Type.Integer(),
  prefixes: Type.Integer(),
  all: Type.Boolean(),
  record: { ...InvalidationRecordEventData, description: 'The invalidation record (as GET /v1/invalidations lists it)' },
})
const DryRunResult = Type.Object({
  dryRun: Type.Literal(true),
  namespace: Type.String(),
  counts: Type.Object({
    keys: { ...Count, description: 'Of the keys given, how many are in L2' },
    prefixes: { ...Count, description: 'Keys in L2 under the prefixes' },
    tags: { ...Count, description: 'Live entries carrying one of the tags (a scan; null where the store cannot list keys)' },
    expireTags: { ...Count, description: 'Live entries carrying one of the expireTags (a scan, as for tags)' },
    all: { ...Count, description: "Keys in the namespace's L2, when all is asked" },
  }),
})

/**
 * Manual invalidation of a namespace: keys and tags are gone, expireTags are stale (served within grace while they
 * refresh), all empties it. Only the cache changes — never the origin, whatever the write mode. Carried out, counted
 * and recorded by @strata/invalidation, as the invalidator's `POST /v1/invalidations` is.
 */
export const invalidationRoutes: FastifyPluginCallbackTypebox<InvalidationRoutesOptions> = (app, { registry, history, executor, clock }, done) => {
  // The JSON API takes application/json only: anything else is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain')
  app.post(
    '/v1/namespaces/:ns/invalidations',
    {
      config: { auth: { scope: 'invalidate', action: 'namespace.invalidate' } },
      schema: {
        tags: ['invalidation'],
        summary: 'Invalidate keys, tags, key prefixes, or the whole namespace, in every tier and every gateway instance',
        description:
          'With dryRun: true nothing changes; the answer counts what would be invalidated, as the invalidator counts it (prefixes, tags and all scan the L2 store; null when it cannot list keys, as Memcached).',
        params: Type.Object({ ns: NamespaceParam }),
        body: InvalidationBody,
        response: { 200: Type.Union([InvalidationResult, DryRunResult]), ...problems(400, 404, 414, 415, 503) },
      },
    },
    async (request) => {
      const { ns } = request.params
      const { dryRun: dry = false, ...targets } = request.body
      if (targetsAreEmpty(targets)) {
        throw new StrataError('E_INVALID_OPTION', 'Name something to invalidate: keys, tags, expireTags, prefixes or all', { context: { namespace: ns } })
      }
      if (dry) {
        const handle = registry.get(ns) ?? (await registry.resolve(ns))
        return { dryRun: true as const, namespace: ns, counts: await dryRun(handle.cache, targets) }
      }
      const record = history.add(await executor.apply({ namespace: ns, ...targets, trigger: 'manual', actor: request.principal?.id ?? 'anonymous', occurredAt: clock() }))
      const { keys = [], tags = [], expireTags = [], prefixes = [], all = false } = targets
      return { namespace: ns, keys: keys.length, tags: tags.length, expireTags: expireTags.length, prefixes: prefixes.length, all, record }
    },
  )
  done()
}
