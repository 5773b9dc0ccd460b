import { Type, type Static } from '@sinclair/typebox'
import { jsonCodec, msgpackCodec, StrataError, type CachePolicy, type Keyring } from '@strata/core'
import { Duration } from '../http/schemas.js'
import { NamespaceSecuritySchema, checkSecurityPolicy } from './namespace-security.js'

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

/**
 * The engine policy a spec stands for; throws the engine's typed errors for cross-field rules the schema cannot say,
 * and the security policy's (E_POLICY_VIOLATION, E_ENCRYPTION_REQUIRED).
 */
export function toPolicy(spec: NamespaceSpec, keyring?: Keyring): Partial<CachePolicy> {
  const { origin, codec, security, ...durations } = spec
  checkSecurityPolicy(security, spec.ttl, keyring)
  if ((spec.writeMode === 'write-through' || spec.writeMode === 'write-behind') && origin === undefined) {
    throw new StrataError('E_INVALID_OPTION', `writeMode '${spec.writeMode}' needs an origin to write to`, { context: { option: 'writeMode' } })
  }
  const policy: Partial<CachePolicy> = { ...durations }
  if (codec !== undefined) policy.codec = codec === 'msgpack' ? msgpackCodec : jsonCodec
  // Only namespaces whose policy requires it are encrypted: sealing costs CPU on every L2 read and write.
  if (security?.encryption === 'required') policy.encryption = keyring
  return policy
}
