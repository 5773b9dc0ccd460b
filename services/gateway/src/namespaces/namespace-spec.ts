import { jsonCodec, msgpackCodec, StrataError, type CachePolicy, type Keyring } from '@strata/core'
import type { NamespaceSpec } from '@strata/api'
import { checkSecurityPolicy } from './namespace-security.js'

// The schemas are the API's contract, shared with the client SDK, the console and @strata/config.
export { NamespaceSpecSchema, OriginSpecSchema, type NamespaceSpec, type OriginSpec } from '@strata/api'

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
