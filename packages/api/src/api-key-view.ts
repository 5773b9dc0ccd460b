import { Type, type Static } from '@sinclair/typebox'

/** What a grant may allow on a namespace; `admin` implies the others (see @strata/security's grants). */
export const SCOPES = ['read', 'write', 'invalidate', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

export const ScopeSchema = Type.Union(SCOPES.map((scope) => Type.Literal(scope)))

export const GrantSchema = Type.Object(
  { namespace: Type.String({ pattern: '^(\\*|[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\\*?)$' }), scopes: Type.Array(ScopeSchema, { minItems: 1, uniqueItems: true }) },
  { additionalProperties: false },
)

export const RateLimitSchema = Type.Object({ perSecond: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }), burst: Type.Integer({ minimum: 1, maximum: 1_000_000 }) }, { additionalProperties: false })

/** An API key as GET /v1/admin/keys lists it: never its secret. Times are epoch ms. */
export const ApiKeyViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  grants: Type.Array(GrantSchema),
  createdAt: Type.Number(),
  expiresAt: Type.Optional(Type.Number()),
  revokedAt: Type.Optional(Type.Number()),
  rateLimit: Type.Optional(RateLimitSchema),
})

/** One row of the audit log as GET /v1/admin/audit answers it, with its place in the hash chain. */
export const AuditRecordSchema = Type.Object({
  seq: Type.Integer(),
  at: Type.Number(),
  actor: Type.String(),
  action: Type.String(),
  resource: Type.String(),
  outcome: Type.Union([Type.Literal('allowed'), Type.Literal('denied'), Type.Literal('failed')]),
  ip: Type.Optional(Type.String()),
  detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  prevHash: Type.String(),
  hash: Type.String(),
})

export type Grant = Static<typeof GrantSchema>
export type ApiKeyView = Static<typeof ApiKeyViewSchema>
export type AuditRecordView = Static<typeof AuditRecordSchema>
