import { readFileSync } from 'node:fs'
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { parseLocatedYaml } from '@strata/config'
import { StrataError } from '@strata/core'
import { Cron } from 'croner'
import type { InvalidationRule, NamespacePolicy, RuleSet, ScheduledPurge } from './invalidation-rule.js'
import { compileTemplate, type Template } from './template.js'

const NamespaceName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' })
const UpstreamName = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })
const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])
const StringList = Type.Array(Type.String({ minLength: 1 }))

const RuleSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    topic: Type.String({ minLength: 1 }),
    type: Type.Optional(Type.Union([Type.String({ minLength: 1 }), StringList])),
    match: Type.Optional(Type.Record(Type.String({ pattern: '^(data(\\.[A-Za-z0-9_-]+)+|subject|type|source)$' }), Type.Union([Scalar, Type.Array(Scalar)]))),
    namespace: Type.Optional(NamespaceName),
    upstream: Type.Optional(UpstreamName),
    keys: Type.Optional(StringList),
    tags: Type.Optional(StringList),
    expireTags: Type.Optional(StringList),
    prefixes: Type.Optional(StringList),
    surrogateKeys: Type.Optional(StringList),
    all: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

const ScheduleSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    namespace: NamespaceName,
    prefix: Type.Optional(Type.String({ minLength: 1 })),
    all: Type.Optional(Type.Boolean()),
    every: Type.Optional(Type.Integer({ minimum: 1000 })),
    cron: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
)

const FileSchema = Type.Object(
  {
    version: Type.Literal(1),
    namespaces: Type.Optional(
      Type.Record(NamespaceName, Type.Object({ ttl: Type.Optional(Type.Integer({ minimum: 1 })), maxTtl: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false })),
    ),
    rules: Type.Optional(Type.Array(Type.Unknown())),
    schedules: Type.Optional(Type.Array(Type.Unknown())),
  },
  { additionalProperties: false },
)

const checkFile = TypeCompiler.Compile(FileSchema)
const checkRule = TypeCompiler.Compile(RuleSchema)
const checkSchedule = TypeCompiler.Compile(ScheduleSchema)

/** Reads and validates a rules file; throws E_RULES_INVALID naming the file, line and rule. */
export function loadRulesFile(file: string): RuleSet {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new StrataError('E_RULES_INVALID', `${file}: cannot read the rules file: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
  return parseRules(text, file)
}

/**
 * Parses rules YAML. Everything is checked before the service starts: YAML syntax, the schema of every rule and
 * schedule, every template, every cron expression. The first problem is thrown as E_RULES_INVALID with
 * `file:line: rule 'name' (#n): what is wrong`.
 */
export function parseRules(text: string, file = '<rules>'): RuleSet {
  const fail = (line: number, where: string, detail: string): never => {
    throw new StrataError('E_RULES_INVALID', `${file}:${line}: ${where}${detail}`, { context: { file, line } })
  }
  const doc = parseLocatedYaml(text, (line, message) => fail(line, '', `YAML syntax error: ${message}`))
  const raw = doc.value
  if (!checkFile.Check(raw)) {
    const error = checkFile.Errors(raw).First()!
    fail(doc.lineAt(error.path), '', `${error.path || '/'}: ${error.message}`)
  }
  const content = raw as Static<typeof FileSchema>

  const rules = (content.rules ?? []).map((value, index): InvalidationRule => {
    const line = doc.lineAt('rules', index)
    const name = (value as { name?: unknown } | null)?.name
    const where = `rule ${typeof name === 'string' ? `'${name}' ` : ''}(#${index + 1}): `
    if (!checkRule.Check(value)) {
      const error = checkRule.Errors(value).First()!
      fail(doc.lineAt('rules', index, error.path), where, `${error.path || '/'}: ${error.message}`)
    }
    const rule = value as Static<typeof RuleSchema>
    if ((rule.namespace === undefined) === (rule.upstream === undefined)) fail(line, where, 'give exactly one of namespace (keys, tags, expireTags, prefixes, all) or upstream (surrogateKeys)')
    if (rule.upstream !== undefined && (rule.keys ?? rule.tags ?? rule.expireTags ?? rule.prefixes ?? rule.all) !== undefined) {
      fail(line, where, `upstream '${rule.upstream}' takes surrogateKeys only; keys, tags, expireTags, prefixes and all need a namespace`)
    }
    if (rule.namespace !== undefined && rule.surrogateKeys !== undefined) fail(line, where, 'surrogateKeys need an upstream, not a namespace')
    const compile = (field: 'keys' | 'tags' | 'expireTags' | 'prefixes' | 'surrogateKeys'): Template[] =>
      (rule[field] ?? []).map((source, i) => {
        try {
          return compileTemplate(source)
        } catch (error) {
          return fail(doc.lineAt('rules', index, field, i), where, (error as Error).message)
        }
      })
    const compiled = { keys: compile('keys'), tags: compile('tags'), expireTags: compile('expireTags'), prefixes: compile('prefixes'), surrogateKeys: compile('surrogateKeys') }
    if (Object.values(compiled).every((templates) => templates.length === 0) && rule.all !== true) {
      fail(line, where, rule.upstream === undefined ? 'invalidates nothing: give keys, tags, expireTags, prefixes or all: true' : 'invalidates nothing: give surrogateKeys')
    }
    return {
      name: rule.name,
      topic: rule.topic,
      types: rule.type === undefined ? [] : typeof rule.type === 'string' ? [rule.type] : rule.type,
      match: Object.entries(rule.match ?? {}).map(([path, expected]) => ({ path: path.split('.'), anyOf: Array.isArray(expected) ? expected : [expected] })),
      ...(rule.namespace === undefined ? {} : { namespace: rule.namespace }),
      ...(rule.upstream === undefined ? {} : { upstream: rule.upstream }),
      ...compiled,
      all: rule.all === true,
      line,
    }
  })
  const names = new Map<string, number>()
  for (const rule of rules) {
    const previous = names.get(rule.name)
    if (previous !== undefined) fail(rule.line, `rule '${rule.name}': `, `the name is already used by the rule at line ${previous}`)
    names.set(rule.name, rule.line)
  }

  const schedules = (content.schedules ?? []).map((value, index): ScheduledPurge => {
    const line = doc.lineAt('schedules', index)
    const name = (value as { name?: unknown } | null)?.name
    const where = `schedule ${typeof name === 'string' ? `'${name}' ` : ''}(#${index + 1}): `
    if (!checkSchedule.Check(value)) {
      const error = checkSchedule.Errors(value).First()!
      fail(doc.lineAt('schedules', index, error.path), where, `${error.path || '/'}: ${error.message}`)
    }
    const schedule = value as Static<typeof ScheduleSchema>
    if ((schedule.every === undefined) === (schedule.cron === undefined)) fail(line, where, 'give exactly one of every (ms) or cron')
    if ((schedule.prefix === undefined) === (schedule.all !== true)) fail(line, where, 'give exactly one of prefix or all: true')
    if (schedule.cron !== undefined) {
      try {
        new Cron(schedule.cron, { paused: true }).stop()
      } catch (error) {
        fail(doc.lineAt('schedules', index, 'cron'), where, `invalid cron '${schedule.cron}': ${(error as Error).message}`)
      }
    }
    return {
      name: schedule.name,
      namespace: schedule.namespace,
      ...(schedule.prefix === undefined ? {} : { prefix: schedule.prefix }),
      ...(schedule.every === undefined ? {} : { everyMs: schedule.every }),
      ...(schedule.cron === undefined ? {} : { cron: schedule.cron }),
      line,
    }
  })

  const namespaces: Record<string, NamespacePolicy> = { ...content.namespaces }
  return { file, rules, schedules, namespaces, topics: [...new Set(rules.map((rule) => rule.topic))] }
}
