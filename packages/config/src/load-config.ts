import { readFileSync } from 'node:fs'
import type { TSchema } from '@sinclair/typebox'
import { Value, type ValueError } from '@sinclair/typebox/value'
import { parseDocument } from 'yaml'
import { StrataError } from '@strata/core'
import { describeSource, type ConfigIssue, type ConfigSource } from './config-source.js'
import { crossChecks } from './cross-checks.js'
import { DURATION_HINT, parseDuration } from './duration.js'
import { StrataConfigSchema, type StrataConfig } from './schema/strata-config-schema.js'
import { SECTIONS, SETTINGS, SETTING_BY_PATH, TOP_LEVEL_KEYS, type EnvKind, type SettingInfo } from './settings-index.js'

export { describeSource, type ConfigIssue, type ConfigSource } from './config-source.js'

export interface LoadedConfig {
  config: StrataConfig
  /** Where each setting came from, by dotted path (`gateway.port`). */
  sources: Record<string, ConfigSource>
  /** Things that work but should change (a deprecated variable), for the service to log at start. */
  warnings: string[]
  /** The file read, if any. */
  file: string | undefined
}

export interface LoadConfigOptions {
  /** A YAML or JSON file; default: the one STRATA_CONFIG_FILE names, none if unset. */
  file?: string
  env?: NodeJS.ProcessEnv
  /**
   * Checks a service adds on top of the schema (e.g. the gateway's namespace policies), run on the merged values even
   * when the schema found problems, so that one run reports everything.
   */
  refine?: (merged: Readonly<Record<string, unknown>>, sources: Readonly<Record<string, ConfigSource>>) => ConfigIssue[]
}

/** The variable naming the configuration file, for every service. */
export const CONFIG_FILE_VARIABLE = 'STRATA_CONFIG_FILE'

/**
 * The effective configuration: defaults, then the file, then the environment (which wins), validated as a whole.
 * Every problem is collected and thrown as one E_CONFIG_INVALID whose `context.issues` name the setting, the reason
 * (with the allowed values) and the source (file line, or variable).
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env
  const file = options.file ?? (env[CONFIG_FILE_VARIABLE]?.trim() || undefined)
  const issues: ConfigIssue[] = []
  const warnings: string[] = []
  const sources: Record<string, ConfigSource> = Object.fromEntries(SETTINGS.map((info) => [info.path, { kind: 'default' }]))
  const merged: Record<string, unknown> = {}
  const put = (info: SettingInfo, value: unknown) => {
    if (info.section === undefined) merged[info.key] = value
    else ((merged[info.section] ??= {}) as Record<string, unknown>)[info.key] = value
  }

  if (file !== undefined) {
    for (const [key, value] of Object.entries(readConfigFile(file, issues))) {
      if (!TOP_LEVEL_KEYS.includes(key)) {
        issues.push({ path: `/${key}`, message: `unknown setting '${key}' (known at the top level: ${TOP_LEVEL_KEYS.join(', ')})`, source: `file ${file}` })
      } else if (SECTIONS.includes(key)) {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          issues.push({ path: `/${key}`, message: `must be a mapping of ${key} settings`, source: `file ${file}` })
          continue
        }
        for (const [name, sub] of Object.entries(value)) {
          const info = SETTING_BY_PATH.get(`${key}.${name}`)
          if (info === undefined) {
            const known = SETTINGS.filter((setting) => setting.section === key).map((setting) => setting.key)
            issues.push({ path: `/${key}/${name}`, message: `unknown setting '${key}.${name}' (known: ${known.join(', ')})`, source: `file ${file}` })
            continue
          }
          put(info, sub)
          sources[info.path] = { kind: 'file', file }
        }
      } else {
        put(SETTING_BY_PATH.get(key)!, value)
        sources[key] = { kind: 'file', file }
      }
    }
  }

  for (const info of SETTINGS) {
    const found = [info.env, ...info.deprecatedEnv].find((name) => env[name] !== undefined && env[name].trim() !== '')
    if (found === undefined) continue
    if (found !== info.env) warnings.push(`${found} is deprecated: set ${info.env} instead`)
    const parsed = parseEnv(env[found]!.trim(), info.kind)
    if (parsed.ok) put(info, parsed.value)
    else issues.push({ path: pointerOf(info.path), message: parsed.message, source: `env ${found}` })
    sources[info.path] = { kind: 'env', variable: found }
  }

  const withDefaults = Value.Default(StrataConfigSchema, structuredClone(merged)) as Record<string, unknown>
  for (const error of Value.Errors(StrataConfigSchema, withDefaults)) {
    const info = settingAt(error.path)
    issues.push({ path: error.path || '/', message: messageOf(error, info), source: describeSource(info === undefined ? undefined : sources[info.path]) })
  }
  if (issues.length === 0) issues.push(...durationFloors(withDefaults, sources))
  issues.push(...crossChecks(withDefaults, sources))
  if (options.refine !== undefined) issues.push(...options.refine(withDefaults, sources))
  if (issues.length > 0) throw configInvalid(issues)
  return { config: Value.Decode(StrataConfigSchema, withDefaults), sources, warnings, file }
}

export function configInvalid(issues: ConfigIssue[]): StrataError {
  const lines = issues.map((issue) => `  ${issue.path}: ${issue.message} (${issue.source})`)
  return new StrataError('E_CONFIG_INVALID', `Invalid configuration:\n${lines.join('\n')}`, { context: { issues } })
}


const pointerOf = (path: string) => `/${path.replace('.', '/')}`

/** The setting a JSON pointer is in (`/gateway/upstreams/a/url` is in gateway.upstreams). */
function settingAt(pointer: string): SettingInfo | undefined {
  const [first, second] = pointer.split('/').slice(1)
  if (first === undefined) return undefined
  return SETTING_BY_PATH.get(first) ?? (second === undefined ? undefined : SETTING_BY_PATH.get(`${first}.${second}`))
}

type Annotated = TSchema & { anyOf?: Annotated[]; const?: unknown; pattern?: string; minimum?: number; maximum?: number; 'x-duration'?: boolean; 'x-minimum'?: number; 'x-expected'?: string }

/** TypeBox's message made to name the allowed values and what was given (never a secret's value). */
function messageOf(error: ValueError, info: SettingInfo | undefined): string {
  const schema = error.schema as Annotated
  const secret = info?.secret === true && pointerOf(info.path) === error.path
  const got = secret || error.value === undefined ? '' : `, got ${JSON.stringify(error.value)}`
  if (error.message === 'Unexpected property') return `unknown setting '${error.path.split('/').pop()}'`
  if (schema['x-duration'] === true) {
    const minimum = schema['x-minimum'] ?? 0
    return typeof error.value === 'number' && error.value >= 0 && error.value < minimum ? `must be at least ${minimum} ms${got}` : `must be ${DURATION_HINT}${got}`
  }
  if (schema['x-expected'] !== undefined) return `must be ${schema['x-expected']}${got}`
  if (schema.anyOf !== undefined && schema.anyOf.every((member) => member.const !== undefined)) {
    return `must be one of ${schema.anyOf.map((member) => `'${String(member.const)}'`).join(', ')}${got}`
  }
  if (schema.pattern !== undefined && typeof error.value === 'string') return `must match ${schema.pattern}${got}`
  if (typeof schema.minimum === 'number' || typeof schema.maximum === 'number') {
    const range = [schema.minimum === undefined ? '' : `≥ ${schema.minimum}`, schema.maximum === undefined ? '' : `≤ ${schema.maximum}`].filter(Boolean).join(' and ')
    return `must be ${schema.type === 'integer' ? 'an integer' : 'a number'} ${range}${got}`
  }
  return `${error.message.charAt(0).toLowerCase()}${error.message.slice(1)}${got}`
}

/** Duration strings are checked against the setting's minimum once decoded ("0s" where 1 ms is the least). */
function durationFloors(values: Record<string, unknown>, sources: Record<string, ConfigSource>): ConfigIssue[] {
  return SETTINGS.flatMap((info) => {
    if (info.kind !== 'duration') return []
    const raw = info.section === undefined ? values[info.key] : (values[info.section] as Record<string, unknown> | undefined)?.[info.key]
    const minimum = ((info.schema as Record<string, unknown>)['x-minimum'] as number | undefined) ?? 0
    const ms = raw === undefined ? undefined : parseDuration(raw)
    return ms !== undefined && ms < minimum ? [{ path: pointerOf(info.path), message: `must be at least ${minimum} ms, got ${JSON.stringify(raw)}`, source: describeSource(sources[info.path]) }] : []
  })
}

function readConfigFile(file: string, issues: ConfigIssue[]): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    issues.push({ path: '/', message: `cannot read the file: ${(error as Error).message}`, source: `file ${file}` })
    return {}
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
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

function parseEnv(raw: string, kind: EnvKind): Parsed {
  switch (kind) {
    case 'string':
      return { ok: true, value: raw }
    case 'integer':
    case 'number': {
      const value = Number(raw.replace(/_/g, ''))
      const ok = kind === 'integer' ? Number.isInteger(value) : Number.isFinite(value)
      return ok ? { ok: true, value } : { ok: false, message: `must be ${kind === 'integer' ? 'an integer' : 'a number'}, got '${raw}'` }
    }
    case 'duration': {
      const ms = parseDuration(raw)
      return ms === undefined ? { ok: false, message: `must be ${DURATION_HINT}, got '${raw}'` } : { ok: true, value: ms }
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
