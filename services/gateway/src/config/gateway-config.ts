import { Value } from '@sinclair/typebox/value'
import { describeSource, loadConfig, type ConfigIssue, type ConfigSource, type GatewayConfig, type LoadedConfig } from '@strata/config'
import { NamespaceSpecSchema, type NamespaceSpec } from '../namespaces/namespace-spec.js'

export interface GatewaySettings extends Omit<GatewayConfig, 'namespaces'> {
  namespaces: Record<string, NamespaceSpec>
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
  const namespaces = merged.namespaces
  if (typeof namespaces !== 'object' || namespaces === null) return []
  const source = describeSource(sources.namespaces)
  return Object.entries(namespaces).flatMap(([name, spec]) =>
    [...Value.Errors(NamespaceSpecSchema, spec)].map((error) => ({ path: `/namespaces/${name}${error.path}`, message: error.message, source })),
  )
}
