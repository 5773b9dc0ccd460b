import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import { InvalidationRecordEventData, createEvent } from '@strata/bus'
import { StrataError, isStrataError } from '@strata/core'
import { planInvalidations, type InvalidationExecutor, type InvalidationRequest, type RuleSet } from '@strata/invalidation'
import { problems } from '../http/schemas.js'
import type { InvalidationHistory } from '../history/invalidation-history.js'

export interface EventRoutesOptions {
  rules: RuleSet
  history: InvalidationHistory
  executor: InvalidationExecutor
}

const EventBody = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 200, description: 'Domain event type, e.g. product.updated' }),
  id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  topic: Type.Optional(Type.String({ minLength: 1, maxLength: 249, description: "The domain topic it belongs to; without it every rule's topic matches" })),
  subject: Type.Optional(Type.String({ maxLength: 1024 })),
  source: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  data: Type.Record(Type.String(), Type.Unknown()),
})

const EventResult = Type.Object({
  type: Type.String(),
  /** Rules that matched the event. */
  matched: Type.Integer({ minimum: 0 }),
  /** Invalidations carried out (one per matching rule). */
  applied: Type.Integer({ minimum: 0 }),
  invalidations: Type.Array(InvalidationRecordEventData),
  warning: Type.Optional(Type.String({ description: 'Set when no rule matched: the event changed nothing' })),
})

/**
 * `POST /v1/events`: the embedded default's stand-in for the Kafka invalidator. The event is matched against the same
 * rules, in the same dialect (`{data.id}`), with the same strictness: an event lacking a field a matching rule needs
 * is refused whole (400 E_EVENT_INVALID), and one no rule matches answers `matched: 0` with a warning.
 */
export const eventRoutes: FastifyPluginCallbackTypebox<EventRoutesOptions> = (app, { rules, history, executor }, done) => {
  // The JSON API takes application/json only: anything else is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain')
  const knownTypes = [...new Set(rules.rules.flatMap((rule) => rule.types))]
  app.post(
    '/v1/events',
    {
      // An event's rules may touch any namespace and upstream: invalidate on *.
      config: { auth: { scope: 'invalidate', namespace: '*', action: 'event.publish' } },
      schema: {
        tags: ['invalidation'],
        summary: 'Publish a domain event; matching rules invalidate keys, tags, prefixes and surrogate keys',
        body: EventBody,
        response: { 202: EventResult, ...problems(400, 404, 415) },
      },
    },
    async (request, reply) => {
      const { topic, ...fields } = request.body
      const event = createEvent({ ...fields, source: fields.source ?? 'strata/gateway/events' })
      let planned: InvalidationRequest[]
      try {
        planned = planInvalidations(rules, topic, event)
      } catch (error) {
        if (isStrataError(error)) throw new StrataError(error.code, `Event ${event.id} (${event.type}): ${error.message}`, { cause: error, context: error.context })
        throw error
      }
      if (planned.length === 0) {
        const warning = `no rule matches event type '${event.type}'${topic === undefined ? '' : ` on topic '${topic}'`} (rules know: ${knownTypes.join(', ') || 'no types'}); nothing was invalidated`
        request.log.warn({ eventType: event.type, topic }, 'event matched no rule')
        return reply.code(202).send({ type: event.type, matched: 0, applied: 0, invalidations: [], warning })
      }
      const actor = request.principal?.id ?? 'anonymous'
      const records = []
      for (const step of planned) records.push(history.add(await executor.apply({ ...step, actor })))
      return reply.code(202).send({ type: event.type, matched: planned.length, applied: records.length, invalidations: records })
    },
  )
  done()
}
