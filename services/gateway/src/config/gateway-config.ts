import { loadConfig, loadServiceConfig, namespaceIssues, type LoadedConfig, type StrataConfig } from '@strata/config'
import type { NamespaceSpec } from '../namespaces/namespace-spec.js'

// The namespace-policy check lives in @strata/config (the CLI and the docs runner use it without the gateway).
export { namespaceIssues } from '@strata/config'

export type GatewaySection = StrataConfig['gateway']

/** The whole configuration, with the gateway's namespace policies typed as the admin API checked them. */
export interface GatewaySettings extends Omit<StrataConfig, 'gateway'> {
  gateway: Omit<GatewaySection, 'namespaces'> & { namespaces: Record<string, NamespaceSpec> }
}

/** The settings main.ts uses in structured form (parsed from the flat, one-variable-per-field configuration). */
export interface SecuritySettings {
  rateLimit: { perSecond: number; burst: number }
  encryptionKeys: { current: string; keys: Record<string, string> } | undefined
  jwt: { jwksUrl: string; issuer: string; audience: string; requireExp: boolean } | undefined
  tls: { certFile: string; keyFile: string } | undefined
  bootstrapAdminKey: string | undefined
  allowedOrigins: string[]
}

export function securitySettings(gateway: GatewaySettings['gateway']): SecuritySettings {
  const [perSecond, burst] = gateway.rateLimit.split('/').map(Number) as [number, number]
  const pairs = gateway.encryptionKeys === '' ? [] : gateway.encryptionKeys.split(',').map((pair) => [pair.slice(0, pair.indexOf(':')).trim(), pair.slice(pair.indexOf(':') + 1).trim()] as const)
  return {
    rateLimit: { perSecond, burst },
    encryptionKeys: pairs.length === 0 ? undefined : { current: pairs[0]![0], keys: Object.fromEntries(pairs) },
    jwt: gateway.jwtJwksUrl === '' ? undefined : { jwksUrl: gateway.jwtJwksUrl, issuer: gateway.jwtIssuer, audience: gateway.jwtAudience, requireExp: gateway.jwtRequireExp === 'on' },
    tls: gateway.tlsCertFile === '' ? undefined : { certFile: gateway.tlsCertFile, keyFile: gateway.tlsKeyFile },
    bootstrapAdminKey: gateway.bootstrapAdminKey === '' ? undefined : gateway.bootstrapAdminKey,
    allowedOrigins: gateway.allowedOrigins === '' ? [] : gateway.allowedOrigins.split(',').map((origin) => origin.trim()),
  }
}

/**
 * The configuration from @strata/config (defaults, then the file named by STRATA_CONFIG_FILE, then the environment),
 * with each namespace policy checked against the admin API's own schema, so a bad policy is refused at start with the
 * same rules as over HTTP.
 */
export function readGatewayConfig(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): LoadedConfig & { config: GatewaySettings } {
  return loadConfig({ ...options, refine: namespaceIssues })
}

/** main.ts: the same, or exit 1 listing every problem (no stack trace). */
export function gatewayConfigOrExit(): LoadedConfig & { config: GatewaySettings } {
  return loadServiceConfig('gateway', { refine: namespaceIssues })
}
