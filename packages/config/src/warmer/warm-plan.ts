import { readFileSync } from 'node:fs'
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { StrataError } from '@strata/core'
import { parseLocatedYaml } from '../located-yaml.js'

/** Something to warm: keys of a namespace (loaded through `load`), or queries run through a DbCache. */
export type WarmTarget = KeysTarget | QueriesTarget

interface TargetBase {
  /** Unique; names the BullMQ job scheduler and the progress events. */
  name: string
  /** Cron pattern (5 fields, or 6 with seconds first); none for start/manual only. */
  cron?: string
  /** Warm once when the warmer starts (after a deploy, before traffic). */
  onStart?: boolean
}

export interface KeysTarget extends TargetBase {
  kind: 'keys'
  namespace: string
  keys: readonly string[]
  /**
   * Refresh-ahead: a key still cached but expiring within this many ms is reloaded and set again, so readers never
   * meet the miss. Without it, cached keys are left alone.
   */
  refreshAheadMs?: number
}

export interface QueriesTarget extends TargetBase {
  kind: 'queries'
  /** Each query is run once per parameter list (once without parameters when `params` is absent). */
  queries: readonly { sql: string; params?: readonly (readonly unknown[])[] }[]
}

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

/**
 * Parses a warm plan (YAML, duplicate keys refused) through the one located-YAML loader the rules files use; throws
 * E_INVALID_OPTION naming the file, the line and the first problem (`plan.yaml:3: /rate/perSecond: ...`).
 */
export function parsePlan(text: string, file = '<plan>'): WarmPlan {
  const fail = (line: number, message: string): never => {
    throw new StrataError('E_INVALID_OPTION', `${file}:${line}: ${message}`, { context: { file, line } })
  }
  const doc = parseLocatedYaml(text, (line, message) => fail(line, `not valid YAML: ${message}`))
  const raw = doc.value
  if (!checkPlan.Check(raw)) {
    const first = checkPlan.Errors(raw).First()
    return fail(doc.lineAt(first?.path ?? ''), `${first?.path || '/'}: ${first?.message ?? 'invalid'}`)
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
