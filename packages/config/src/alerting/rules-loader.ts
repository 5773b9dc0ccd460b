import { readFileSync } from 'node:fs'
import { StrataError } from '@strata/core'
import { parseDuration } from '../duration.js'
import { parseLocatedYaml } from '../located-yaml.js'
import type { AlertRule } from './alert-rule.js'
import { RuleProblem, compileReceiver, compileRule, expandRule, type Receiver } from './compile-rule.js'
import { checkFile } from './rule-schema.js'

export interface AlertingConfig {
  file: string
  intervalMs: number | undefined
  rules: AlertRule[]
  receivers: Receiver[]
}

/** Reads and validates an alerting rules file; throws E_ALERT_RULES_INVALID naming the file, line and rule. */
export function loadAlertingFile(file: string, env: Record<string, string | undefined> = process.env): AlertingConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new StrataError('E_ALERT_RULES_INVALID', `${file}: cannot read the alerting rules file: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
  return parseAlertingConfig(text, file, env)
}

/**
 * Parses alerting YAML the way the invalidator parses its rules: YAML syntax, the file schema, every rule (after its
 * template is expanded) and every receiver are checked before the service starts; the first problem is thrown as
 * E_ALERT_RULES_INVALID with `file:line: rule 'name' (#n): what is wrong`.
 */
export function parseAlertingConfig(text: string, file = '<alerting>', env: Record<string, string | undefined> = process.env): AlertingConfig {
  const fail = (line: number, where: string, detail: string): never => {
    throw new StrataError('E_ALERT_RULES_INVALID', `${file}:${line}: ${where}${detail}`, { context: { file, line } })
  }
  const doc = parseLocatedYaml(text, (line, message) => fail(line, '', `YAML syntax error: ${message}`))
  const raw = doc.value
  if (!checkFile.Check(raw)) {
    const error = checkFile.Errors(raw).First()!
    fail(doc.lineAt(error.path), '', `${error.path || '/'}: ${error.message}`)
  }
  const content = raw as { interval?: string | number; receivers?: unknown[]; rules?: unknown[] }

  const receivers = (content.receivers ?? []).map((value, index) => {
    const name = (value as { name?: unknown } | null)?.name
    const where = `receiver ${typeof name === 'string' ? `'${name}' ` : ''}(#${index + 1}): `
    try {
      return compileReceiver(value, env)
    } catch (error) {
      if (!(error instanceof RuleProblem)) throw error
      return fail(doc.lineAt('receivers', index, error.path), where, error.message)
    }
  })
  const rules = (content.rules ?? []).map((value, index) => {
    const line = doc.lineAt('rules', index)
    const name = (value as { name?: unknown } | null)?.name
    const where = `rule ${typeof name === 'string' ? `'${name}' ` : ''}(#${index + 1}): `
    try {
      return compileRule(expandRule(value), `${file}:${line}`)
    } catch (error) {
      if (!(error instanceof RuleProblem)) throw error
      return fail(doc.lineAt('rules', index, error.path), where, error.message)
    }
  })
  const seen = new Map<string, string>()
  for (const rule of rules) {
    const previous = seen.get(rule.name)
    if (previous !== undefined) fail(Number(rule.origin.split(':').at(-1)), `rule '${rule.name}': `, `the name is already used by the rule at ${previous}`)
    seen.set(rule.name, rule.origin)
  }
  const receiverNames = new Set<string>()
  for (const [index, receiver] of receivers.entries()) {
    if (receiverNames.has(receiver.name)) fail(doc.lineAt('receivers', index), `receiver '${receiver.name}': `, 'the name is already used')
    receiverNames.add(receiver.name)
  }
  return { file, intervalMs: content.interval === undefined ? undefined : parseDuration(content.interval), rules, receivers }
}
