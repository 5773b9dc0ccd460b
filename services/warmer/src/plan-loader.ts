import { readFileSync } from 'node:fs'
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { StrataError } from '@strata/core'
import { parse } from 'yaml'
import type { WarmTarget } from './warm-target.js'

const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' })
const Common = { name: Name, cron: Type.Optional(Type.String({ minLength: 1 })), onStart: Type.Optional(Type.Boolean()) }

const PlanSchema = Type.Object(
  {
    version: Type.Literal(1),
    rate: Type.Object({ perSecond: Type.Number({ exclusiveMinimum: 0 }), burst: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
    /** namespace → HTTP origin URL with `{key}` (URL-encoded on use); a GET answering JSON is the value. */
    origins: Type.Optional(Type.Record(Name, Type.String({ pattern: '^https?://.*\\{key\\}' }))),
    targets: Type.Array(
      Type.Union([
        Type.Object(
          { ...Common, namespace: Name, keys: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }), refreshAheadMs: Type.Optional(Type.Integer({ minimum: 1 })) },
          { additionalProperties: false },
        ),
        Type.Object(
          { ...Common, queries: Type.Array(Type.Object({ sql: Type.String({ minLength: 1 }), params: Type.Optional(Type.Array(Type.Array(Type.Unknown()))) }, { additionalProperties: false }), { minItems: 1 }) },
          { additionalProperties: false },
        ),
      ]),
    ),
  },
  { additionalProperties: false },
)

export type WarmPlanFile = Static<typeof PlanSchema>

export interface WarmPlan {
  rate: { perSecond: number; burst?: number }
  origins: Record<string, string>
  targets: WarmTarget[]
}

const checkPlan = TypeCompiler.Compile(PlanSchema)

/** Parses a warm plan (YAML); throws E_INVALID_OPTION naming the file and the first problem. */
export function parsePlan(text: string, file = '<plan>'): WarmPlan {
  let raw: unknown
  try {
    raw = parse(text)
  } catch (error) {
    throw new StrataError('E_INVALID_OPTION', `${file}: not valid YAML: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
  if (!checkPlan.Check(raw)) {
    const first = checkPlan.Errors(raw).First()
    throw new StrataError('E_INVALID_OPTION', `${file}: ${first?.path || '/'}: ${first?.message ?? 'invalid'}`, { context: { file } })
  }
  const targets: WarmTarget[] = raw.targets.map((target) => ('keys' in target ? { kind: 'keys', ...target } : { kind: 'queries', ...target }))
  return { rate: raw.rate, origins: raw.origins ?? {}, targets }
}

export function loadPlanFile(file: string): WarmPlan {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new StrataError('E_INVALID_OPTION', `${file}: cannot read the warm plan: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
  return parsePlan(text, file)
}

/** A loader that GETs the origin URL of a key and takes its JSON body as the value. */
export function httpLoader(template: string): (key: string) => Promise<unknown> {
  return async (key) => {
    const response = await fetch(template.replace('{key}', encodeURIComponent(key)))
    if (!response.ok) throw new StrataError('E_LOADER_FAILED', `Origin answered ${response.status} for '${key}'`, { context: { key, status: response.status } })
    return (await response.json())
  }
}
