import { readFileSync } from 'node:fs'
import { Value } from '@sinclair/typebox/value'
import { parseDocument } from 'yaml'
import { StrataError } from '@strata/core'
import { ENV_OF, GatewayConfigSchema, type GatewayConfig, type GatewayConfigField } from './gateway-config-schema.js'

export type ConfigSource = { kind: 'default' } | { kind: 'file'; file: string } | { kind: 'env'; variable: string }

export interface ConfigIssue {
  /** JSON pointer of the field, e.g. /upstreams/demo/url */
  path: string
  message: string
  /** Where the bad value came from. */
  source: string
}

export interface LoadedConfig {
  config: GatewayConfig
  /** Where each top-level value came from. */
  sources: Record<GatewayConfigField, ConfigSource>
}

export interface LoadConfigOptions {
  /** A YAML or JSON file (JSON is YAML); its keys are the schema's field names. */
  file?: string
  env?: NodeJS.ProcessEnv
  /**
   * Checks a service adds on top of the schema (e.g. the gateway's namespace policies), run on the merged values even
   * when the schema found problems, so that one run reports everything.
   */
  refine?: (merged: Readonly<Record<string, unknown>>, sources: Readonly<Record<GatewayConfigField, ConfigSource>>) => ConfigIssue[]
}

const FIELDS = Object.keys(ENV_OF) as GatewayConfigField[]

/**
 * The effective gateway configuration: defaults, then the file, then the environment, validated as a whole. Every
 * problem is collected (not only the first) and thrown as one E_CONFIG_INVALID error whose `context.issues` name the
 * field, the reason and the source (file line, or variable).
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env
  const issues: ConfigIssue[] = []
  const sources = Object.fromEntries(FIELDS.map((field) => [field, { kind: 'default' }])) as Record<GatewayConfigField, ConfigSource>
  const merged: Record<string, unknown> = {}

  if (options.file !== undefined) {
    const fromFile = readConfigFile(options.file, issues)
    for (const [field, value] of Object.entries(fromFile)) {
      if (!(field in ENV_OF)) {
        issues.push({ path: `/${field}`, message: `unknown setting '${field}' (known: ${FIELDS.join(', ')})`, source: `file ${options.file}` })
        continue
      }
      merged[field] = value
      sources[field as GatewayConfigField] = { kind: 'file', file: options.file }
    }
  }
  for (const field of FIELDS) {
    const { name, kind } = ENV_OF[field]
    const raw = env[name]
    if (raw === undefined || raw === '') continue
    const parsed = parseEnv(raw, kind)
    if (parsed.ok) merged[field] = parsed.value
    else issues.push({ path: `/${field}`, message: parsed.message, source: `env ${name}` })
    sources[field] = { kind: 'env', variable: name }
  }

  const config = Value.Default(GatewayConfigSchema, structuredClone(merged)) as Record<string, unknown>
  for (const error of Value.Errors(GatewayConfigSchema, config)) {
    const field = error.path.split('/')[1] as GatewayConfigField | undefined
    const source = field === undefined ? undefined : sources[field]
    issues.push({ path: error.path || '/', message: error.message, source: describeSource(source) })
  }
  if (options.refine !== undefined) issues.push(...options.refine(config, sources))
  if (issues.length > 0) {
    const lines = issues.map((issue) => `  ${issue.path}: ${issue.message} (${issue.source})`)
    throw new StrataError('E_CONFIG_INVALID', `Invalid configuration:\n${lines.join('\n')}`, { context: { issues } })
  }
  return { config: config as GatewayConfig, sources }
}

export function describeSource(source: ConfigSource | undefined): string {
  if (source === undefined || source.kind === 'default') return 'default'
  return source.kind === 'file' ? `file ${source.file}` : `env ${source.variable}`
}

function readConfigFile(file: string, issues: ConfigIssue[]): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    issues.push({ path: '/', message: `cannot read the file: ${(error as Error).message}`, source: `file ${file}` })
    return {}
  }
  const document = parseDocument(text, { prettyErrors: true })
  if (document.errors.length > 0) {
    for (const error of document.errors) {
      const at = error.linePos?.[0]
      issues.push({ path: '/', message: `YAML syntax: ${error.message.split('\n')[0]}`, source: at === undefined ? `file ${file}` : `file ${file}:${at.line}:${at.col}` })
    }
    return {}
  }
  const value: unknown = document.toJS()
  if (value === null || value === undefined) return {}
  if (typeof value !== 'object' || Array.isArray(value)) {
    issues.push({ path: '/', message: 'the file must hold a mapping of settings', source: `file ${file}` })
    return {}
  }
  return value as Record<string, unknown>
}

type Parsed = { ok: true; value: unknown } | { ok: false; message: string }

function parseEnv(raw: string, kind: 'string' | 'integer' | 'list' | 'json'): Parsed {
  switch (kind) {
    case 'string':
      return { ok: true, value: raw }
    case 'integer': {
      const value = Number(raw)
      return Number.isInteger(value) ? { ok: true, value } : { ok: false, message: `must be an integer, got '${raw}'` }
    }
    case 'list':
      return { ok: true, value: raw.split(',').map((item) => item.trim()).filter(Boolean) }
    case 'json':
      try {
        return { ok: true, value: JSON.parse(raw) as unknown }
      } catch (error) {
        return { ok: false, message: `must be JSON: ${(error as Error).message}` }
      }
  }
}
