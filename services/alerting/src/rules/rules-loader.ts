import { readFileSync } from 'node:fs'
import { StrataError } from '@strata/core'
import { LineCounter, isNode, parseDocument, type Document } from 'yaml'
import { parseDuration } from '../duration.js'
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
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line)
  const fail = (line: number, where: string, detail: string): never => {
    throw new StrataError('E_ALERT_RULES_INVALID', `${file}:${line}: ${where}${detail}`, { context: { file, line } })
  }
  const syntax = doc.errors[0]
  if (syntax !== undefined) fail(syntax.linePos?.[0].line ?? lineOf(syntax.pos[0]), '', `YAML syntax error: ${syntax.message.split('\n')[0]}`)
  const raw: unknown = doc.toJS()
  if (!checkFile.Check(raw)) {
    const error = checkFile.Errors(raw).First()!
    fail(lineAt(doc, lineOf, pathOf(error.path)), '', `${error.path || '/'}: ${error.message}`)
  }
  const content = raw as { interval?: string | number; receivers?: unknown[]; rules?: unknown[] }

  const receivers = (content.receivers ?? []).map((value, index) => {
    const name = (value as { name?: unknown } | null)?.name
    const where = `receiver ${typeof name === 'string' ? `'${name}' ` : ''}(#${index + 1}): `
    try {
      return compileReceiver(value, env)
    } catch (error) {
      if (!(error instanceof RuleProblem)) throw error
      return fail(lineAt(doc, lineOf, ['receivers', index, ...pathOf(error.path)]), where, error.message)
    }
  })
  const rules = (content.rules ?? []).map((value, index) => {
    const line = lineAt(doc, lineOf, ['rules', index])
    const name = (value as { name?: unknown } | null)?.name
    const where = `rule ${typeof name === 'string' ? `'${name}' ` : ''}(#${index + 1}): `
    try {
      return compileRule(expandRule(value), `${file}:${line}`)
    } catch (error) {
      if (!(error instanceof RuleProblem)) throw error
      return fail(lineAt(doc, lineOf, ['rules', index, ...pathOf(error.path)]), where, error.message)
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
    if (receiverNames.has(receiver.name)) fail(lineAt(doc, lineOf, ['receivers', index]), `receiver '${receiver.name}': `, 'the name is already used')
    receiverNames.add(receiver.name)
  }
  return { file, intervalMs: content.interval === undefined ? undefined : parseDuration(content.interval), rules, receivers }
}

function pathOf(pointer: string): (string | number)[] {
  return pointer
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment.replace(/~1/g, '/').replace(/~0/g, '~')))
}

/** The line of the deepest node along `path` that exists (a missing field reports its parent's line). */
function lineAt(doc: Document, lineOf: (offset: number | undefined) => number, path: (string | number)[]): number {
  for (let length = path.length; length >= 0; length--) {
    const node: unknown = length === 0 ? doc.contents : doc.getIn(path.slice(0, length), true)
    if (isNode(node) && node.range !== undefined && node.range !== null) return lineOf(node.range[0])
  }
  return 1
}
