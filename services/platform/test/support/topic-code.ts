import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'
import { STRATA_EVENTS, TOPICS, type AnyTopicUse, type TopicId } from '@strata/bus'

/**
 * The @strata helpers that produce or consume a topic on their caller's behalf: a component that calls one touches the
 * topic even though its own code never names it. `defined` is the helper's source, which must name the topic (so the
 * table cannot drift from the helper). `needs`: the helper only publishes when its argument passes a transport.
 */
export const TOPIC_HELPERS: readonly { name: string; call: 'new' | 'call'; produces?: TopicId; consumes?: TopicId; needs?: 'transport'; defined: string }[] = [
  { name: 'ErrorEventPublisher', call: 'new', produces: 'errors', defined: 'packages/bus/src/errors/error-event-publisher.ts' },
  { name: 'transportInvalidationBus', call: 'call', produces: 'invalidations', defined: 'packages/bus/src/invalidation/transport-invalidation-bus.ts' },
  { name: 'AuditTrail', call: 'new', produces: 'audit', needs: 'transport', defined: 'packages/security/src/audit/audit-trail.ts' },
  { name: 'postgresServiceAuth', call: 'call', produces: 'audit', needs: 'transport', defined: 'packages/security/src/audit/audit-trail.ts' },
  { name: 'ChangeCapture', call: 'new', produces: 'tableChanges', defined: 'packages/db-cache/src/capture/change-capture.ts' },
  { name: 'followTableChanges', call: 'call', consumes: 'tableChanges', defined: 'packages/db-cache/src/capture/table-change-follower.ts' },
]

export interface TopicCode {
  produces: Set<TopicId>
  consumes: Set<TopicId>
  /** Where code names a topic around its declaration (`TOPICS.x`, a topic's address as a string literal). */
  bypasses: string[]
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : []
  })
}

// An event type may be spelled like its topic ('strata.access.v1' is both): such a literal is read as the type.
const ADDRESSES = new Set<string>(Object.values(TOPICS).filter((address) => !Object.hasOwn(STRATA_EVENTS, address)))

function isTopicId(name: string): name is TopicId {
  return Object.hasOwn(TOPICS, name)
}

/**
 * Which topics the shipped code under `directory` produces and consumes, read from its syntax (comments and tests
 * aside): `topicUse.produced.x` / `topicUse.consumed.x`, and the calls of TOPIC_HELPERS.
 */
export function readTopicCode(directory: string, root: string): TopicCode {
  const code: TopicCode = { produces: new Set(), consumes: new Set(), bypasses: [] }
  for (const file of sourceFiles(directory)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
    const where = (node: ts.Node): string => `${relative(root, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAccessExpression(node)) {
        const owner = node.expression
        if (ts.isPropertyAccessExpression(owner) && ts.isIdentifier(owner.expression) && owner.expression.text === 'topicUse' && isTopicId(node.name.text)) {
          if (owner.name.text === 'produced') code.produces.add(node.name.text)
          if (owner.name.text === 'consumed') code.consumes.add(node.name.text)
        }
        if (ts.isIdentifier(owner) && owner.text === 'TOPICS') code.bypasses.push(`${where(node)} names TOPICS.${node.name.text}`)
      }
      if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && ADDRESSES.has(node.text)) {
        code.bypasses.push(`${where(node)} names '${node.text}'`)
      }
      if (ts.isNewExpression(node) || ts.isCallExpression(node)) {
        const callee = node.expression
        const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined
        const helper = TOPIC_HELPERS.find((candidate) => candidate.name === name && (candidate.call === 'new') === ts.isNewExpression(node))
        const args = node.arguments?.map((arg) => arg.getText(source)).join(',') ?? ''
        if (helper !== undefined && (helper.needs === undefined || /\btransport\b/.test(args))) {
          if (helper.produces !== undefined) code.produces.add(helper.produces)
          if (helper.consumes !== undefined) code.consumes.add(helper.consumes)
        }
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  return code
}

/** Where a component's code and its declaration disagree; empty when they agree. */
export function topicUseMismatches(use: AnyTopicUse, code: TopicCode): string[] {
  const problems = [...code.bypasses.map((bypass) => `${use.component}: ${bypass}; take the topic from its topicUse`)]
  const compare = (direction: 'produces' | 'consumes', observed: Set<TopicId>): void => {
    const declared = new Set(Object.keys(use[direction]) as TopicId[])
    for (const id of observed) if (!declared.has(id)) problems.push(`${use.component} ${direction} ${id} in code but does not declare it`)
    for (const id of declared) if (!observed.has(id)) problems.push(`${use.component} declares it ${direction} ${id} but no code of it does`)
  }
  compare('produces', code.produces)
  compare('consumes', code.consumes)
  return problems
}
