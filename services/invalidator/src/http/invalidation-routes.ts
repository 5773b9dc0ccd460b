import { Type, type Static } from '@sinclair/typebox'
import { StrataError, type StrataCache } from '@strata/core'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { InvalidationRecord, InvalidationRequest } from '../invalidation-model.js'

const Body = Type.Object(
  {
    namespace: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
    keys: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { minItems: 1, maxItems: 10_000 })),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 1_000 })),
    prefix: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    all: Type.Optional(Type.Literal(true)),
    dryRun: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

export interface InvalidationRoutesOptions {
  cache: StrataCache
  invalidate: (request: InvalidationRequest) => Promise<InvalidationRecord>
  clock: () => number
}

/**
 * `POST /v1/invalidations`: by keys, tags, prefix or the whole namespace (exactly one). With `dryRun: true` nothing
 * is removed and the answer says how many L2 entries would go: keys are looked up (MGET), a prefix or a namespace is
 * counted by a SCAN; tags are not countable (tag invalidation works by tag versions, without an index of entries).
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
  app.post<{ Body: Static<typeof Body> }>('/v1/invalidations', { config, schema: { body: Body } }, async (request, reply) => {
    const body = request.body
    const given = [body.keys, body.tags, body.prefix, body.all].filter((value) => value !== undefined).length
    if (given !== 1) throw new StrataError('E_INVALID_REQUEST', 'Give exactly one of keys, tags, prefix or all: true')
    if (body.dryRun === true) {
      const namespace = options.cache.namespace(body.namespace)
      if (body.tags !== undefined) {
        return { dryRun: true, namespace: body.namespace, countable: false, count: null, note: 'tag invalidation is not countable without a scan: entries are not indexed by tag' }
      }
      const count = await namespace.countInL2(body.keys !== undefined ? { keys: body.keys } : { prefix: body.prefix ?? '' })
      return { dryRun: true, namespace: body.namespace, countable: count !== undefined, count: count ?? null }
    }
    const record = await options.invalidate({
      namespace: body.namespace,
      ...(body.keys === undefined ? {} : { keys: body.keys }),
      ...(body.tags === undefined ? {} : { tags: body.tags }),
      ...(body.prefix === undefined ? {} : { prefixes: [body.prefix] }),
      ...(body.all === true ? { all: true } : {}),
      trigger: 'manual',
      occurredAt: options.clock(),
    })
    return reply.code(200).send({ dryRun: false, record })
  })
}
