import { Value } from '@sinclair/typebox/value'
import { loadConfig, type ConfigIssue, type GatewayConfig, type LoadedConfig } from '@strata/config'
import { StrataError } from '@strata/core'
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
  const loaded = loadConfig({ env, ...(file === undefined ? {} : { file }) })
  const issues: ConfigIssue[] = []
  const source = loaded.sources.namespaces.kind === 'env' ? `env ${loaded.sources.namespaces.variable}` : (file ?? 'default')
  for (const [name, spec] of Object.entries(loaded.config.namespaces)) {
    for (const error of Value.Errors(NamespaceSpecSchema, spec)) issues.push({ path: `/namespaces/${name}${error.path}`, message: error.message, source })
  }
  if (issues.length > 0) {
    const lines = issues.map((issue) => `  ${issue.path}: ${issue.message} (${issue.source})`)
    throw new StrataError('E_CONFIG_INVALID', `Invalid configuration:\n${lines.join('\n')}`, { context: { issues } })
  }
  return loaded
}
