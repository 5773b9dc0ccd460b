import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'

const Duration = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\d+(\\.\\d+)?(ms|s|m|h)$' })])
const LabelName = Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' })
const Matcher = Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 }), Type.Object({ re: Type.String({ minLength: 1 }) }, { additionalProperties: false })])
const Selector = {
  metric: Type.String({ pattern: '^[a-zA-Z_:][a-zA-Z0-9_:]*$' }),
  match: Type.Optional(Type.Record(LabelName, Matcher)),
}
const SelectorSchema = Type.Object(Selector, { additionalProperties: false })

export const ExprSchema = Type.Union([
  Type.Object({ gauge: Type.Object({ ...Selector, agg: Type.Optional(Type.Union([Type.Literal('sum'), Type.Literal('max'), Type.Literal('min')])) }, { additionalProperties: false }) }, { additionalProperties: false }),
  Type.Object({ increase: SelectorSchema }, { additionalProperties: false }),
  Type.Object({ rate: SelectorSchema }, { additionalProperties: false }),
  Type.Object({ ratio: Type.Object({ numerator: SelectorSchema, denominator: SelectorSchema }, { additionalProperties: false }) }, { additionalProperties: false }),
  Type.Object({ quantile: Type.Object({ ...Selector, q: Type.Number({ exclusiveMinimum: 0, maximum: 1 }) }, { additionalProperties: false }) }, { additionalProperties: false }),
])

/** A rule as written in YAML or sent to POST /rules (after a template, if any, was expanded). */
export const RuleSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' }),
    kind: Type.Union([Type.Literal('threshold'), Type.Literal('rate_of_change'), Type.Literal('absence'), Type.Literal('anomaly')]),
    expr: ExprSchema,
    by: Type.Optional(Type.Array(LabelName)),
    window: Type.Optional(Duration),
    for: Type.Optional(Duration),
    op: Type.Optional(Type.Union([Type.Literal('>'), Type.Literal('>='), Type.Literal('<'), Type.Literal('<='), Type.Literal('=='), Type.Literal('!=')])),
    threshold: Type.Optional(Type.Number()),
    over: Type.Optional(Duration),
    relative: Type.Optional(Type.Boolean()),
    k: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    baseline: Type.Optional(Duration),
    minSamples: Type.Optional(Type.Integer({ minimum: 2 })),
    direction: Type.Optional(Type.Union([Type.Literal('above'), Type.Literal('below'), Type.Literal('both')])),
    severity: Type.Optional(Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')])),
    summary: Type.Optional(Type.String({ maxLength: 1024 })),
    labels: Type.Optional(Type.Record(LabelName, Type.String())),
    groupBy: Type.Optional(Type.Array(LabelName)),
  },
  { additionalProperties: false },
)
export type RuleInput = Static<typeof RuleSchema>

/** A rule from a built-in template: `template` names it, `params` fill it, other fields override what it gives. */
export const TemplatedRuleSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    template: Type.String({ minLength: 1 }),
    params: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]))),
  },
  { additionalProperties: true },
)

export const ReceiverSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
    url: Type.String({ pattern: '^https?://' }),
    /** The HMAC key, inline (tests) or from an environment variable (production). */
    secret: Type.Optional(Type.String({ minLength: 16 })),
    secretEnv: Type.Optional(Type.String({ minLength: 1 })),
    format: Type.Optional(Type.Union([Type.Literal('strata'), Type.Literal('slack')])),
    match: Type.Optional(
      Type.Object(
        { namespaces: Type.Optional(Type.Array(Type.String(), { minItems: 1 })), severities: Type.Optional(Type.Array(Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]), { minItems: 1 })) },
        { additionalProperties: false },
      ),
    ),
    timeout: Type.Optional(Duration),
  },
  { additionalProperties: false },
)
export type ReceiverInput = Static<typeof ReceiverSchema>

export const FileSchema = Type.Object(
  {
    version: Type.Literal(1),
    interval: Type.Optional(Duration),
    receivers: Type.Optional(Type.Array(Type.Unknown())),
    rules: Type.Optional(Type.Array(Type.Unknown())),
  },
  { additionalProperties: false },
)

export const checkRule = TypeCompiler.Compile(RuleSchema)
export const checkTemplated = TypeCompiler.Compile(TemplatedRuleSchema)
export const checkReceiver = TypeCompiler.Compile(ReceiverSchema)
export const checkFile = TypeCompiler.Compile(FileSchema)
