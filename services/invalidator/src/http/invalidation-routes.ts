import { StrataError, type StrataCache } from '@strata/core'
import { NamespacedInvalidationBody, dryRun, targetsAreEmpty, type InvalidationRecord, type InvalidationRequest } from '@strata/invalidation'
import type { FastifyInstance, FastifyRequest } from 'fastify'

export interface InvalidationRoutesOptions {
  cache: StrataCache
  invalidate: (request: InvalidationRequest) => Promise<InvalidationRecord>
  clock: () => number
}

/**
 * `POST /v1/invalidations`: keys, tags, expireTags, prefixes and/or the whole namespace — the body of the gateway's
 * `POST /v1/namespaces/{ns}/invalidations` plus `namespace`. With `dryRun: true` nothing is removed and the answer
 * is @strata/invalidation's one dry run, the same counts the gateway answers for the same request.
 */
export function invalidationRoutes(app: FastifyInstance, options: InvalidationRoutesOptions): void {
  const config = {
    auth: {
      scope: 'invalidate' as const,
      action: 'invalidation.manual',
      // Runs before validation (the auth plugin's preValidation stage): anything but a string asks for `*`.
      namespace: (request: FastifyRequest) => {
        const namespace = (request.body as { namespace?: unknown } | undefined)?.namespace
        return typeof namespace === 'string' && namespace !== '*' ? namespace : '*'
      },
    },
  }
  app.post<{ Body: NamespacedInvalidationBody }>('/v1/invalidations', { config, schema: { body: NamespacedInvalidationBody } }, async (request, reply) => {
    const { namespace, dryRun: dry = false, ...targets } = request.body
    if (targetsAreEmpty(targets)) {
      throw new StrataError('E_INVALID_OPTION', 'Name something to invalidate: keys, tags, expireTags, prefixes or all', { context: { namespace } })
    }
    if (dry) return { dryRun: true, namespace, counts: await dryRun(options.cache.namespace(namespace), targets) }
    const record = await options.invalidate({ namespace, ...targets, trigger: 'manual', ...(request.principal === undefined ? {} : { actor: request.principal.id }), occurredAt: options.clock() })
    return reply.code(200).send({ dryRun: false, record })
  })
}

