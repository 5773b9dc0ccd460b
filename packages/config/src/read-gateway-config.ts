import { Value } from '@sinclair/typebox/value'
import { NamespaceSpecSchema, type NamespaceSpec } from '@strata/api'
import type { GatewayConfig } from './gateway-config-schema.js'
import { describeSource, loadConfig, type ConfigIssue, type ConfigSource, type LoadedConfig } from './load-config.js'

export interface GatewaySettings extends Omit<GatewayConfig, 'namespaces'> {
  namespaces: Record<string, NamespaceSpec>
}

/**
 * The gateway's configuration from @strata/config (defaults, then the file named by STRATA_CONFIG_FILE, then the
 * environment), with each namespace policy checked against the admin API's own schema (@strata/api), so a bad policy
 * is refused at start with the same rules as over HTTP.
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
