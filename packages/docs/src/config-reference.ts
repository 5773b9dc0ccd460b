import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import type { TSchema } from '@sinclair/typebox'
import { ENV_OF, GatewayConfigSchema, UpstreamSchema, type GatewayConfigField } from '@strata/config'

/** A variable a service's main.ts reads, as written there (main.ts is the only place that reads the environment). */
export interface ServiceVariable {
  name: string
  /** The fallback literal in main.ts; '' when there is none. */
  fallback: string
}

/**
 * The variables of one service's main.ts: calls of its small readers (`env('STRATA_X', 'fallback')`, `int(...)`,
 * `num(...)`, `list(...)`) and direct `process.env.STRATA_X` reads. Read from the source, so the reference follows the
 * code; a reader helper of another name would be missed, which the reference test guards (every STRATA_ name in
 * main.ts must be listed).
 */
export function serviceVariables(source: string): ServiceVariable[] {
  const found = new Map<string, string>()
  // Every reader call, nested ones included (`list('A', env('B', 'x'))` reads both).
  for (const match of source.matchAll(/\b(?:env|int|num|list|bool)\(\s*'([A-Z][A-Z0-9_]*)'/g)) {
    const rest = source.slice(match.index + match[0].length)
    const fallback = /^\s*,\s*(?:'([^']*)'|`([^`]*)`|(?:env|int|num|list|bool)\(\s*'([A-Z][A-Z0-9_]*)'|([-\d_.]+|[\w.]+))/.exec(rest)
    const [, quoted, template, variable, literal] = fallback ?? []
    found.set(match[1]!, quoted ?? template ?? (variable === undefined ? undefined : `$${variable}`) ?? literal ?? '')
  }
  for (const match of source.matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]*)|\[\s*'([A-Z][A-Z0-9_]*)'\s*\])/g)) {
    const name = (match[1] ?? match[2])!
    if (!found.has(name)) found.set(name, '')
  }
  return [...found.entries()].map(([name, fallback]) => ({ name, fallback })).sort((a, b) => a.name.localeCompare(b.name))
}

/** Every `STRATA_*` / well-known name a main.ts mentions in quotes or as process.env.X (for the completeness test). */
export function mentionedVariables(source: string): string[] {
  const names = new Set<string>()
  for (const match of source.matchAll(/'(STRATA_[A-Z0-9_]+)'|process\.env\.([A-Z][A-Z0-9_]*)/g)) names.add((match[1] ?? match[2])!)
  return [...names].sort()
}

/** A TypeBox schema as a short type for a table cell: `'redis' \| 'memory'`, `integer ≥ 0`, `string[]`... */
export function describeType(schema: TSchema): string {
  const s = schema as TSchema & { anyOf?: TSchema[]; const?: unknown; type?: string; items?: TSchema; minimum?: number; maximum?: number; pattern?: string; patternProperties?: Record<string, TSchema> }
  if (s.anyOf !== undefined) return s.anyOf.map(describeType).join(' | ')
  if (s.const !== undefined) return `'${typeof s.const === 'string' ? s.const : JSON.stringify(s.const)}'`
  if (s.type === 'array') return `array of ${describeType(s.items!)}`
  if (s.type === 'integer' || s.type === 'number') {
    const bounds = [s.minimum === undefined ? '' : `≥ ${s.minimum}`, s.maximum === undefined ? '' : `≤ ${s.maximum}`].filter((bound) => bound !== '').join(', ')
    return bounds === '' ? s.type : `${s.type} ${bounds}`
  }
  if (s.type === 'object' && s.patternProperties !== undefined) return 'map'
  if (s.type === 'object') return 'object'
  if (s.type === 'string' && s.pattern !== undefined) return `string matching ${s.pattern}`
  return s.type ?? 'any'
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
const code = (value: unknown) => (value === undefined ? '—' : `\`${JSON.stringify(value)}\``)

/** docs/reference/configuration.md, generated: `pnpm docs:config` writes it, a test fails when it is stale. */
export function renderConfigurationReference(root: string): string {
  const properties = GatewayConfigSchema.properties as Record<GatewayConfigField, TSchema & { default?: unknown; description?: string }>
  const required = new Set<string>(GatewayConfigSchema.required ?? [])
  const gatewayRows = (Object.keys(ENV_OF) as GatewayConfigField[]).map((field) => {
    const schema = properties[field]
    const { name, kind, secret } = ENV_OF[field]
    const type = describeType(schema)
    const fallback = required.has(field) ? code(schema.default) : '(unset)'
    return `| \`${field}\` | \`${name}\` (${kind}) | ${cell(type)} | ${fallback} | ${secret === true ? 'yes' : ''} | ${cell(schema.description ?? '')} |`
  })
  const upstreamRows = Object.entries(UpstreamSchema.properties as Record<string, TSchema & { description?: string }>).map(
    ([field, schema]) => `| \`${field}\` | ${cell(describeType(schema))} | ${(UpstreamSchema.required as string[] | undefined)?.includes(field) === true ? 'yes' : ''} | ${cell(schema.description ?? '')} |`,
  )
  // Settings that are objects (accessEvents) get a table of their own fields.
  const nested = (Object.keys(ENV_OF) as GatewayConfigField[]).flatMap((field) => {
    const schema = properties[field] as TSchema & { properties?: Record<string, TSchema & { description?: string }> }
    if (schema.type !== 'object' || schema.properties === undefined) return []
    const rows = Object.entries(schema.properties).map(([name, sub]) => `| \`${name}\` | ${cell(describeType(sub))} | ${cell(sub.description ?? '')} |`)
    return [`### \`${field}\``, '', cell(schema.description ?? ''), '', '| field | type | description |', '|---|---|---|', ...rows, '']
  })
  const services = readdirSync(join(root, 'services'))
    .filter((name) => name !== 'gateway' && existsSync(join(root, 'services', name, 'src', 'main.ts')))
    .sort()
  const serviceSections = services.map((service) => {
    const variables = serviceVariables(readFileSync(join(root, 'services', service, 'src', 'main.ts'), 'utf8'))
    const rows = variables.map(({ name, fallback }) => `| \`${name}\` | ${fallback === '' ? '(none)' : `\`${cell(fallback)}\``} |`)
    return [`### ${service}`, '', `Read by \`services/${service}/src/main.ts\`.`, '', '| variable | default |', '|---|---|', ...rows, ''].join('\n')
  })
  return `<!-- Generated by \`pnpm docs:config\` from @strata/config and the services' main.ts; do not edit by hand. -->
# Configuration reference

## Gateway

The gateway's settings come from \`@strata/config\` (packages/config/src/gateway-config-schema.ts): a default for each,
then a YAML or JSON file named by \`STRATA_CONFIG_FILE\` (keys are the setting names below), then the environment (one
variable each), which wins. Everything is validated at start, every problem is reported at once with its source, and
the gateway does not start with a bad value. Check a file with \`pnpm strata config validate <file>\`; see the
effective values and where each came from with \`pnpm strata config explain\`. Secrets are never printed.

Types: list = comma-separated in the environment, an array in the file; json = a JSON document in the environment, a
mapping in the file.

| setting | environment variable | type | default | secret | description |
|---|---|---|---|---|---|
${gatewayRows.join('\n')}

### \`upstreams.<name>\`

Each proxy upstream, served under \`/proxy/<name>/...\`:

| field | type | required | description |
|---|---|---|---|
${upstreamRows.join('\n')}

${nested.join('\n')}
### \`namespaces.<name>\`

A namespace policy, exactly as \`PUT /v1/admin/namespaces/{ns}\` takes it (the \`NamespaceSpec\` schema in
[openapi.json](openapi.json)); checked at start with the admin API's own rules.

## Other services

Each service reads its environment in \`main.ts\` only. Variables shared by several services (\`STRATA_REDIS_URL\`,
\`STRATA_QUEUE_REDIS_URL\`, \`STRATA_KAFKA_BROKERS\`, \`STRATA_POSTGRES_URL\`...) have the same meaning everywhere
(CONVENTIONS.md, "Where the real servers are").

${serviceSections.join('\n')}`
}
