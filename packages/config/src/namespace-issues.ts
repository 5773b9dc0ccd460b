import { Value } from '@sinclair/typebox/value'
import { NamespaceSpecSchema } from '@strata/api'
import { describeSource, type ConfigIssue, type ConfigSource } from './config-source.js'

/**
 * Each gateway namespace policy against the admin API's own schema (@strata/api; the configuration schema only knows
 * they are objects), so a bad policy is refused at start, by `strata config validate` and by the docs runner with the
 * same rules as over HTTP. Pass it as `refine` to loadConfig.
 */
export function namespaceIssues(merged: Readonly<Record<string, unknown>>, sources: Readonly<Record<string, ConfigSource>>): ConfigIssue[] {
  const namespaces = (merged.gateway as { namespaces?: unknown } | undefined)?.namespaces
  if (typeof namespaces !== 'object' || namespaces === null) return []
  const source = describeSource(sources['gateway.namespaces'])
  return Object.entries(namespaces).flatMap(([name, spec]) =>
    [...Value.Errors(NamespaceSpecSchema, spec)].map((error) => ({ path: `/gateway/namespaces/${name}${error.path}`, message: error.message, source })),
  )
}
