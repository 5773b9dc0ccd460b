import { Type, type Static } from '@sinclair/typebox'

/** Milliseconds, like every duration in Strata's policies. */
export const Duration = Type.Integer({ minimum: 0, maximum: 10 * 365 * 24 * 3_600_000, description: 'milliseconds' })

export const OriginSpecSchema = Type.Object(
  {
    url: Type.String({
      pattern: '^https?://.*\\{key\\}',
      description: 'URL template; {key} is replaced by the URL-encoded key. GET loads on a miss (read-through); PUT/DELETE write (write-through, write-behind).',
    }),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 120_000, default: 5_000 })),
    headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Extra request headers sent to the origin' })),
    honorCacheControl: Type.Optional(
      Type.Boolean({ default: true, description: "Use the origin's Cache-Control max-age as the entry ttl and its Surrogate-Key as tags" }),
    ),
  },
  { additionalProperties: false },
)

/**
 * A namespace's security policy (the `security` field of its spec). Limits are checked at the gateway edge with
 * E_POLICY_VIOLATION before anything reaches a store; `encryption: 'required'` makes the namespace's L2 entries
 * AES-256-GCM sealed with the gateway's keyring, and a namespace that requires it cannot exist on a gateway without one.
 */
export const NamespaceSecuritySchema = Type.Object(
  {
    maxTtl: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 * 365 * 24 * 3_600_000, description: 'Largest ttl a write may ask for, ms' })),
    maxValueBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 * 1024 * 1024, description: 'Largest value, as JSON text in UTF-8 bytes' })),
    encryption: Type.Optional(Type.Union([Type.Literal('required'), Type.Literal('off')], { default: 'off' })),
    keyPattern: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: 'RE2 regular expression every key must match in full (linear time: no backreferences or lookaround)' }),
    ),
    logValues: Type.Optional(Type.Boolean({ default: false, description: 'Whether values may appear in logs or sampled telemetry' })),
    hashKeys: Type.Optional(Type.Boolean({ default: false, description: 'Keys appear only as keyed (HMAC-SHA-256) hashes in logs, telemetry and audit' })),
  },
  { additionalProperties: false },
)
export type NamespaceSecurity = Static<typeof NamespaceSecuritySchema>

/** A namespace's policy as the admin API takes it: CachePolicy's JSON-expressible fields (durations in ms). */
export const NamespaceSpecSchema = Type.Object(
  {
    ttl: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 * 365 * 24 * 3_600_000, description: 'milliseconds' })),
    grace: Type.Optional(Duration),
    l1Ttl: Type.Optional(Duration),
    failSafeBackoff: Type.Optional(Duration),
    refreshAhead: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
    softTimeout: Type.Optional(Duration),
    hardTimeout: Type.Optional(Duration),
    stampede: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('local'), Type.Literal('fleet')])),
    leaseTtl: Type.Optional(Duration),
    writeMode: Type.Optional(Type.Union([Type.Literal('cache-aside'), Type.Literal('write-through'), Type.Literal('write-behind')])),
    maxKeyLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 8_192 })),
    maxValueBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 * 1024 * 1024 })),
    compressAbove: Type.Optional(Type.Integer({ minimum: 0 })),
    maxTtl: Type.Optional(Duration),
    codec: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('msgpack')])),
    origin: Type.Optional(OriginSpecSchema),
    security: Type.Optional(NamespaceSecuritySchema),
  },
  { additionalProperties: false, $id: 'NamespacePolicy' },
)

export type NamespaceSpec = Static<typeof NamespaceSpecSchema>
export type OriginSpec = Static<typeof OriginSpecSchema>
