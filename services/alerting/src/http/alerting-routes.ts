import { randomUUID } from 'node:crypto'
import { Type, type Static } from '@sinclair/typebox'
import { StrataError } from '@strata/core'
import type { FastifyInstance } from 'fastify'
import { RuleProblem, compileRule, expandRule, parseDuration, type AlertRule } from '@strata/config'
import type { AlertRecord, AlertStore, DeliveryRecord, Silence } from '../store/alert-store.js'

const SilenceBody = Type.Object(
  {
    matchers: Type.Record(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' }), Type.String(), { minProperties: 1 }),
    /** How long from now (`30m`, or ms), or an absolute end. */
    duration: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^\\d+(\\.\\d+)?(ms|s|m|h)$' })])),
    endsAt: Type.Optional(Type.String({ format: 'date-time' })),
    comment: Type.String({ minLength: 1, maxLength: 1024 }),
    createdBy: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
)
const NameParam = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }) })
const IdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })
const Limit = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) })

export interface AlertingRoutesOptions {
  store: AlertStore
  rules: () => AlertRule[]
  alerts: () => AlertRecord[]
  /** Validated and stored; the engine picks it up at once. Names of file rules are refused. */
  addRule: (rule: AlertRule, input: unknown) => Promise<void>
  removeRule: (name: string) => Promise<boolean>
  clock: () => number
}

/** Reading needs `read` on every namespace; routes that change rules or silences declare nothing: `admin` on `*`. */
export const READ_ALL = { scope: 'read' as const, namespace: '*', audit: false }
const read = { config: { auth: READ_ALL } }

/**
 * The HTTP API: rules, alerts, silences and delivery history. Every body is validated; errors are problem+json.
 * With auth on, the changes (POST and DELETE) need `admin` on `*` and are audited.
 */
export function alertingRoutes(app: FastifyInstance, options: AlertingRoutesOptions): void {
  app.get('/rules', read, () => ({ rules: options.rules() }))

  app.post('/rules', async (request, reply) => {
    let rule: AlertRule
    try {
      rule = compileRule(expandRule(request.body), 'api')
    } catch (error) {
      if (error instanceof RuleProblem) throw new StrataError('E_ALERT_RULE_INVALID', error.message)
      throw error
    }
    const existing = options.rules().find((candidate) => candidate.name === rule.name)
    if (existing !== undefined && existing.origin !== 'api') throw new StrataError('E_ALERT_RULE_INVALID', `rule '${rule.name}' is defined in ${existing.origin}; change it there`)
    await options.addRule(rule, request.body)
    return reply.code(existing === undefined ? 201 : 200).send(rule)
  })

  app.delete<{ Params: Static<typeof NameParam> }>('/rules/:name', { schema: { params: NameParam } }, async (request, reply) => {
    if (!(await options.removeRule(request.params.name))) throw new StrataError('E_ALERT_RULE_NOT_FOUND', `no rule '${request.params.name}' was created through the API`)
    return reply.code(204).send()
  })

  app.get('/alerts', read, () => ({ alerts: options.alerts() }))

  app.get('/silences', read, async () => ({ silences: await options.store.silences(options.clock()) }))

  app.post<{ Body: Static<typeof SilenceBody> }>('/silences', { schema: { body: SilenceBody } }, async (request, reply) => {
    const body = request.body
    const now = options.clock()
    if ((body.duration === undefined) === (body.endsAt === undefined)) throw new StrataError('E_INVALID_REQUEST', 'give exactly one of duration or endsAt')
    const endsAt = body.duration !== undefined ? now + parseDuration(body.duration)! : Date.parse(body.endsAt!)
    if (!(endsAt > now)) throw new StrataError('E_INVALID_REQUEST', 'the silence would end before it starts')
    const silence: Silence = { id: randomUUID(), matchers: body.matchers, startsAt: now, endsAt, comment: body.comment, createdBy: body.createdBy }
    await options.store.putSilence(silence)
    return reply.code(201).send(silence)
  })

  app.delete<{ Params: Static<typeof IdParam> }>('/silences/:id', { schema: { params: IdParam } }, async (request, reply) => {
    if (!(await options.store.deleteSilence(request.params.id))) throw new StrataError('E_SILENCE_NOT_FOUND', `no active silence '${request.params.id}'`)
    return reply.code(204).send()
  })

  app.get<{ Querystring: Static<typeof Limit> }>('/deliveries', { ...read, schema: { querystring: Limit } }, async (request): Promise<{ deliveries: DeliveryRecord[] }> => ({
    deliveries: await options.store.deliveries(request.query.limit ?? 100),
  }))
}
