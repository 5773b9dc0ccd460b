import { Value } from '@sinclair/typebox/value'
import { describeSource, loadConfig, type ConfigIssue, type ConfigSource, type GatewayConfig, type LoadedConfig } from '@strata/config'
import { NamespaceSpecSchema, type NamespaceSpec } from '../namespaces/namespace-spec.js'

export interface GatewaySettings extends Omit<GatewayConfig, 'namespaces'> {
  namespaces: Record<string, NamespaceSpec>
}

/** The settings main.ts uses in structured form (parsed from the flat, one-variable-per-field configuration). */
export interface SecuritySettings {
  kafkaSsl: { ca?: string[] } | true | undefined
  rateLimit: { perSecond: number; burst: number }
  encryptionKeys: { current: string; keys: Record<string, string> } | undefined
  jwt: { jwksUrl: string; issuer: string; audience: string; requireExp: boolean } | undefined
  tls: { certFile: string; keyFile: string } | undefined
  bootstrapAdminKey: string | undefined
  /** Keys API key and hashKeys hashes; undefined when not configured. */
  serverSecret: string | undefined
  allowedOrigins: string[]
}

export function securitySettings(config: GatewaySettings, readFile: (path: string) => string): SecuritySettings {
  const [perSecond, burst] = config.rateLimit.split('/').map(Number) as [number, number]
  const pairs = config.encryptionKeys === '' ? [] : config.encryptionKeys.split(',').map((pair) => [pair.slice(0, pair.indexOf(':')).trim(), pair.slice(pair.indexOf(':') + 1).trim()] as const)
  return {
    kafkaSsl: config.kafkaTls === 'off' ? undefined : config.kafkaCaFile === '' ? true : { ca: [readFile(config.kafkaCaFile)] },
    rateLimit: { perSecond, burst },
    encryptionKeys: pairs.length === 0 ? undefined : { current: pairs[0]![0], keys: Object.fromEntries(pairs) },
    jwt: config.jwtJwksUrl === '' ? undefined : { jwksUrl: config.jwtJwksUrl, issuer: config.jwtIssuer, audience: config.jwtAudience, requireExp: config.jwtRequireExp === 'on' },
    tls: config.tlsCertFile === '' ? undefined : { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile },
    bootstrapAdminKey: config.bootstrapAdminKey === '' ? undefined : config.bootstrapAdminKey,
    serverSecret: config.serverSecret === '' ? undefined : config.serverSecret,
    allowedOrigins: config.allowedOrigins === '' ? [] : config.allowedOrigins.split(',').map((origin) => origin.trim()),
  }
}

/**
 * The gateway's configuration from @strata/config (defaults, then the file named by STRATA_CONFIG_FILE, then the
 * environment), with each namespace policy checked against the admin API's own schema, so a bad policy is refused at
 * start with the same rules as over HTTP.
 */
export function readGatewayConfig(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): LoadedConfig & { config: GatewaySettings } {
  const env = options.env ?? process.env
  const file = options.file ?? (env.STRATA_CONFIG_FILE || undefined)
  return loadConfig({ env, ...(file === undefined ? {} : { file }), refine: namespaceIssues })
}

/** Each namespace policy against the admin API's schema (the shared schema only knows they are objects). */
function namespaceIssues(merged: Readonly<Record<string, unknown>>, sources: Readonly<Record<string, ConfigSource>>): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  // Settings that only make sense together.
  if (merged.jwtJwksUrl !== '' && (merged.jwtIssuer === '' || merged.jwtAudience === '')) {
    issues.push({ path: '/jwtJwksUrl', message: 'needs jwtIssuer and jwtAudience too', source: describeSource(sources.jwtJwksUrl) })
  }
  if ((merged.tlsCertFile === '') !== (merged.tlsKeyFile === '')) {
    issues.push({ path: '/tlsCertFile', message: 'tlsCertFile and tlsKeyFile go together', source: describeSource(sources.tlsCertFile ?? sources.tlsKeyFile) })
  }
  return [...issues, ...policyIssues(merged, sources)]
}

function policyIssues(merged: Readonly<Record<string, unknown>>, sources: Readonly<Record<string, ConfigSource>>): ConfigIssue[] {
  const namespaces = merged.namespaces
  if (typeof namespaces !== 'object' || namespaces === null) return []
  const source = describeSource(sources.namespaces)
  return Object.entries(namespaces).flatMap(([name, spec]) =>
    [...Value.Errors(NamespaceSpecSchema, spec)].map((error) => ({ path: `/namespaces/${name}${error.path}`, message: error.message, source })),
  )
}
