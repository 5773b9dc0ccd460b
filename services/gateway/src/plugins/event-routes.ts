import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import { problems } from '../http/schemas.js'
import { planInvalidations, type EventRule } from '../events/event-rules.js'
import type { InvalidationHistory } from '../history/invalidation-history.js'
import type { NamespaceRegistry } from '../namespaces/namespace-registry.js'
import type { ProxyService } from '../proxy/proxy-service.js'

export interface EventRoutesOptions {
  registry: NamespaceRegistry
  proxy: ProxyService
  rules: readonly EventRule[]
  history: InvalidationHistory
}

const EventBody = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 200, description: 'Domain event type, e.g. product.updated' }),
  id: Type.Optional(Type.String()),
  data: Type.Record(Type.String(), Type.Unknown()),
})

/**
 * The embedded default's stand-in for the Kafka invalidator: a domain event posted here is mapped by rules to
 * invalidations and applied at once (in every instance, through the bus).
 */
export const eventRoutes: FastifyPluginCallbackTypebox<EventRoutesOptions> = (app, { registry, proxy, rules, history }, done) => {
  // The JSON API takes application/json only: anything else is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain')
  app.post(
    '/v1/events',
    {
      // An event's rules may touch any namespace and upstream: invalidate on *.
      config: { auth: { scope: 'invalidate', namespace: '*', action: 'event.publish' } },
      schema: {
        tags: ['invalidation'],
        summary: 'Publish a domain event; matching rules invalidate keys, tags and surrogate keys',
        body: EventBody,
        response: {
          202: Type.Object({ type: Type.String(), applied: Type.Integer(), invalidations: Type.Array(Type.Unknown()) }),
          ...problems(400, 404, 415),
        },
      },
    },
    async (request, reply) => {
      const planned = planInvalidations(rules, request.body.type, request.body.data)
      const actor = request.principal?.id ?? 'anonymous'
      const event = request.body.type
      for (const step of planned) {
        if (step.namespace !== undefined) {
          const handle = await registry.resolve(step.namespace)
          if (step.keys.length > 0) await handle.cache.deleteMany(step.keys)
          if (step.tags.length > 0) await handle.cache.deleteByTag(step.tags)
          history.record({ namespace: step.namespace, source: 'event', actor, event, keys: step.keys, tags: step.tags })
        }
        if (step.upstream !== undefined && step.surrogateKeys.length > 0) {
          await proxy.cacheFor(step.upstream).purgeSurrogateKeys(step.surrogateKeys)
          history.record({ namespace: null, source: 'event', actor, event, upstream: step.upstream, tags: step.surrogateKeys })
        }
      }
      return reply.code(202).send({ type: request.body.type, applied: planned.length, invalidations: planned })
    },
  )
  done()
}
