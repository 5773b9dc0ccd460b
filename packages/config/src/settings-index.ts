import type { TSchema } from '@sinclair/typebox'
import { StrataConfigSchema } from './schema/strata-config-schema.js'

export type EnvKind = 'string' | 'integer' | 'number' | 'duration' | 'list' | 'json'

/** One setting of the schema, found by walking it: its dotted path, variable, type of text in the environment. */
export interface SettingInfo {
  /** `prefix`, `l2.kind`, `gateway.port`. */
  path: string
  /** The section (`l2`, `gateway`...), or undefined for a top-level setting. */
  section: string | undefined
  key: string
  env: string
  deprecatedEnv: readonly string[]
  secret: boolean
  kind: EnvKind
  schema: TSchema & { default?: unknown; description?: string }
  optional: boolean
}

type Annotated = TSchema & Record<string, unknown> & { properties?: Record<string, TSchema>; required?: string[] }

function kindOf(schema: Annotated): EnvKind {
  if (schema['x-duration'] === true) return 'duration'
  if (schema.type === 'integer') return 'integer'
  if (schema.type === 'number') return 'number'
  if (schema.type === 'array') return 'list'
  if (schema.type === 'object') return 'json'
  return 'string'
}

function infoOf(path: string, section: string | undefined, key: string, schema: Annotated, optional: boolean): SettingInfo {
  return {
    path,
    section,
    key,
    env: schema['x-env'] as string,
    deprecatedEnv: (schema['x-deprecated-env'] as string[] | undefined) ?? [],
    secret: schema['x-secret'] === true,
    kind: kindOf(schema),
    schema,
    optional,
  }
}

/** Every setting, in schema order. */
export const SETTINGS: readonly SettingInfo[] = Object.entries(StrataConfigSchema.properties as Record<string, Annotated>).flatMap(([key, schema]) => {
  if (typeof schema['x-env'] === 'string') return [infoOf(key, undefined, key, schema, !((StrataConfigSchema.required ?? []) as string[]).includes(key))]
  const required = new Set(schema.required ?? [])
  return Object.entries(schema.properties as Record<string, Annotated>).map(([name, sub]) => infoOf(`${key}.${name}`, key, name, sub, !required.has(name)))
})

export const SETTING_BY_PATH: ReadonlyMap<string, SettingInfo> = new Map(SETTINGS.map((info) => [info.path, info]))

/** Section names (objects of settings) and top-level settings, as the file may hold them. */
export const TOP_LEVEL_KEYS: readonly string[] = Object.keys(StrataConfigSchema.properties)
export const SECTIONS: readonly string[] = [...new Set(SETTINGS.flatMap((info) => (info.section === undefined ? [] : [info.section])))]
