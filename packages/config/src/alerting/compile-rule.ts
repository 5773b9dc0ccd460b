import { parseDuration } from '../duration.js'
import type { AlertRule } from './alert-rule.js'
import { checkReceiver, checkRule, checkTemplated, type ReceiverInput, type RuleInput } from './rule-schema.js'
import { TEMPLATES } from './templates.js'

/** A problem in one rule: `path` (JSON pointer inside the rule) lets the file loader find the line. */
export class RuleProblem extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message)
  }
}

export interface Receiver {
  name: string
  url: string
  secret: string
  format: 'strata' | 'slack'
  namespaces: string[] | undefined
  severities: string[] | undefined
  timeoutMs: number
}

/** Expands a template (if any) and validates the result; the same code for YAML rules and for POST /rules. */
export function expandRule(value: unknown): RuleInput {
  let input = value
  if (typeof value === 'object' && value !== null && 'template' in value) {
    if (!checkTemplated.Check(value)) {
      const error = checkTemplated.Errors(value).First()!
      throw new RuleProblem(`${error.path || '/'}: ${error.message}`, error.path)
    }
    const { template, params, ...overrides } = value
    const build = TEMPLATES[template]
    if (build === undefined) throw new RuleProblem(`unknown template '${template}' (known: ${Object.keys(TEMPLATES).join(', ')})`, '/template')
    let expanded
    try {
      expanded = build(params ?? {})
    } catch (error) {
      throw new RuleProblem((error as Error).message, '/params')
    }
    input = { ...expanded, ...overrides }
  }
  if (!checkRule.Check(input)) {
    const error = checkRule.Errors(input).First()!
    throw new RuleProblem(`${error.path || '/'}: ${error.message}`, error.path)
  }
  return input
}

const ms = (value: string | number | undefined, fallback: number): number => (value === undefined ? fallback : parseDuration(value)!)

/** A validated rule input to the rule the engine runs; throws RuleProblem on what the schema cannot say. */
export function compileRule(input: RuleInput, origin: string): AlertRule {
  for (const matcher of collectRegexes(input.expr)) {
    try {
      new RegExp(matcher)
    } catch (error) {
      throw new RuleProblem(`invalid regular expression '${matcher}': ${(error as Error).message}`, '/expr')
    }
  }
  const base = {
    name: input.name,
    expr: input.expr,
    by: input.by ?? [],
    windowMs: ms(input.window, 60_000),
    forMs: ms(input.for, 0),
    severity: input.severity ?? 'warning',
    summary: input.summary ?? input.name,
    labels: input.labels ?? {},
    groupBy: input.groupBy ?? ['alertname', 'namespace'],
    origin,
  }
  const needs = (field: 'op' | 'threshold'): void => {
    if (input[field] === undefined) throw new RuleProblem(`a ${input.kind} rule needs '${field}'`, '')
  }
  switch (input.kind) {
    case 'threshold':
      needs('op')
      needs('threshold')
      return { ...base, kind: 'threshold', op: input.op!, threshold: input.threshold! }
    case 'rate_of_change':
      needs('op')
      needs('threshold')
      if (input.over === undefined) throw new RuleProblem("a rate_of_change rule needs 'over' (the duration the change is measured over)", '')
      return { ...base, kind: 'rate_of_change', op: input.op!, threshold: input.threshold!, overMs: ms(input.over, 0), relative: input.relative ?? false }
    case 'absence':
      return { ...base, kind: 'absence' }
    case 'anomaly':
      if (input.baseline === undefined) throw new RuleProblem("an anomaly rule needs 'baseline' (the window its mean and stddev are taken over)", '')
      return { ...base, kind: 'anomaly', k: input.k ?? 3, baselineMs: ms(input.baseline, 0), minSamples: input.minSamples ?? 5, direction: input.direction ?? 'both' }
  }
}

function collectRegexes(expr: RuleInput['expr']): string[] {
  const selectors = 'ratio' in expr ? [expr.ratio.numerator, expr.ratio.denominator] : [Object.values(expr)[0] as { match?: Record<string, unknown> }]
  return selectors.flatMap((selector) =>
    Object.values(selector.match ?? {}).flatMap((matcher) => (typeof matcher === 'object' && matcher !== null && 're' in matcher ? [String(matcher.re)] : [])),
  )
}

/** Validates a receiver; its secret comes inline or from `secretEnv` in `env`. */
export function compileReceiver(value: unknown, env: Record<string, string | undefined>): Receiver {
  if (!checkReceiver.Check(value)) {
    const error = checkReceiver.Errors(value).First()!
    throw new RuleProblem(`${error.path || '/'}: ${error.message}`, error.path)
  }
  const input: ReceiverInput = value
  if ((input.secret === undefined) === (input.secretEnv === undefined)) throw new RuleProblem('give exactly one of secret or secretEnv', '')
  const secret = input.secret ?? env[input.secretEnv!]
  if (secret === undefined || secret.length < 16) throw new RuleProblem(`environment variable ${input.secretEnv} must hold a secret of at least 16 characters`, '/secretEnv')
  return {
    name: input.name,
    url: input.url,
    secret,
    format: input.format ?? 'strata',
    namespaces: input.match?.namespaces,
    severities: input.match?.severities,
    timeoutMs: ms(input.timeout, 5000),
  }
}
