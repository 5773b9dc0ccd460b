import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import { ApiKeyViewSchema as KeyView, AuditRecordSchema, GrantSchema, RateLimitSchema } from '@strata/api'
import type { ApiKeys, AuditLog } from '@strata/security'
import { problems } from '../http/schemas.js'

export interface KeyRoutesOptions {
  apiKeys: ApiKeys
  audit: AuditLog | undefined
}

const CreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    grants: Type.Array(GrantSchema, { minItems: 1, maxItems: 100 }),
    expiresAt: Type.Optional(Type.Integer({ minimum: 0, description: 'epoch ms' })),
    rateLimit: Type.Optional(RateLimitSchema),
  },
  { additionalProperties: false },
)
const IdParams = Type.Object({ id: Type.String({ pattern: '^[a-z0-9]{12}$' }) })
const AuditQuerySchema = Type.Object(
  {
    actor: Type.Optional(Type.String({ maxLength: 300 })),
    action: Type.Optional(Type.String({ maxLength: 300 })),
    outcome: Type.Optional(Type.Union([Type.Literal('allowed'), Type.Literal('denied'), Type.Literal('failed')])),
    resource: Type.Optional(Type.String({ maxLength: 1024 })),
    // Query strings are text (the gateway does not coerce types): numbers are checked by pattern and converted.
    since: Type.Optional(Type.String({ pattern: '^\\d{1,15}$', description: 'epoch ms' })),
    until: Type.Optional(Type.String({ pattern: '^\\d{1,15}$', description: 'epoch ms' })),
    limit: Type.Optional(Type.String({ pattern: '^([1-9]\\d{0,2}|1000)$', description: '1 to 1000, default 100' })),
  },
  { additionalProperties: false },
)
const ADMIN_ANY = { scope: 'admin', namespace: '*' } as const

/**
 * API keys (create: the token is in this one answer and never again; list; get; revoke) and the audit log (query,
 * verify the hash chain). Every route needs admin on `*`.
 */
export const keyRoutes: FastifyPluginCallbackTypebox<KeyRoutesOptions> = (app, { apiKeys, audit }, done) => {
  app.removeContentTypeParser('text/plain')
  app.post(
    '/v1/admin/keys',
    {
      config: { auth: { ...ADMIN_ANY, action: 'key.create' } },
      schema: {
        tags: ['security'],
        summary: 'Create an API key; the token is shown in this answer only',
        body: CreateBody,
        response: { 201: Type.Object({ token: Type.String({ description: 'sk_<id>_<secret>: store it now, it cannot be shown again' }), key: KeyView }), ...problems(400, 401, 403, 415) },
      },
    },
    async (request, reply) => {
      const created = await apiKeys.create(request.body)
      // The answer carries a secret: no shared cache or browser history may keep it.
      return reply.code(201).header('cache-control', 'no-store').send(created)
    },
  )
  app.get(
    '/v1/admin/keys',
    { config: { auth: { ...ADMIN_ANY, action: 'key.list' } }, schema: { tags: ['security'], summary: 'List API keys (never their secrets)', response: { 200: Type.Object({ keys: Type.Array(KeyView) }), ...problems(401, 403) } } },
    async () => ({ keys: await apiKeys.list() }),
  )
  app.get(
    '/v1/admin/keys/:id',
    { config: { auth: { ...ADMIN_ANY, action: 'key.get' } }, schema: { tags: ['security'], summary: 'One API key', params: IdParams, response: { 200: KeyView, ...problems(400, 401, 403, 404) } } },
    async (request) => apiKeys.get(request.params.id),
  )
  app.delete(
    '/v1/admin/keys/:id',
    {
      config: { auth: { ...ADMIN_ANY, action: 'key.revoke' } },
      schema: {
        tags: ['security'],
        summary: `Revoke an API key (at once on this instance; on others within the verification cache time)`,
        params: IdParams,
        response: { 200: KeyView, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => apiKeys.revoke(request.params.id),
  )
  if (audit !== undefined) {
    app.get(
      '/v1/admin/audit',
      {
        config: { auth: { ...ADMIN_ANY, action: 'audit.query' } },
        schema: { tags: ['security'], summary: 'Query the audit log, newest first', querystring: AuditQuerySchema, response: { 200: Type.Object({ records: Type.Array(AuditRecordSchema) }), ...problems(400, 401, 403) } },
      },
      async (request) => {
        const { since, until, limit, ...rest } = request.query
        return {
          records: await audit.query({
            ...rest,
            ...(since === undefined ? {} : { since: Number(since) }),
            ...(until === undefined ? {} : { until: Number(until) }),
            ...(limit === undefined ? {} : { limit: Number(limit) }),
          }),
        }
      },
    )
    app.get(
      '/v1/admin/audit/verify',
      {
        config: { auth: { ...ADMIN_ANY, action: 'audit.verify' } },
        schema: {
          tags: ['security'],
          summary: 'Recompute the audit hash chain; names the first row that was changed, removed or reordered',
          response: {
            200: Type.Object({ ok: Type.Boolean(), rows: Type.Integer(), head: Type.Optional(Type.String()), brokenAt: Type.Optional(Type.Integer()), reason: Type.Optional(Type.String()) }),
            ...problems(401, 403),
          },
        },
      },
      async () => audit.verify(),
    )
  }
  done()
}
