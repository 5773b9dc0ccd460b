import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { TOPICS, buildAsyncApiDocument, defineTopicUse, topicContractProblems, type AnyTopicUse } from '@strata/bus'
import { TOPIC_USES } from '../src/docs/topic-uses.js'
import { topicUse as fixtureUse } from './fixtures/topic-contract/topic-use.js'
import { TOPIC_HELPERS, readTopicCode, topicUseMismatches } from './support/topic-code.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
/** Where each component's shipped code lives. */
const SOURCES: Record<string, string> = {
  gateway: 'services/gateway/src',
  invalidator: 'services/invalidator/src',
  analytics: 'services/analytics/src',
  alerting: 'services/alerting/src',
  warmer: 'services/warmer/src',
  'write-behind': 'services/write-behind/src',
  cdc: 'services/cdc/src',
  '@strata/db-cache': 'packages/db-cache/src/capture',
}

function mismatches(use: AnyTopicUse, directory: string): string[] {
  return topicUseMismatches(use, readTopicCode(join(root, directory), root))
}

describe('topics as a contract', () => {
  it('every component declares what its code produces and consumes, no more, no less, and names no topic around it', () => {
    expect(TOPIC_USES.map((use) => use.component).sort()).toEqual(Object.keys(SOURCES).sort())
    for (const use of TOPIC_USES) expect(mismatches(use, SOURCES[use.component]!), use.component).toEqual([])
  })

  it('every service that declares topics is collected (a service with a topic-use.ts left out would be missing from the document)', () => {
    const declaring = readdirSync(join(root, 'services')).filter((name) => readdirSync(join(root, 'services', name, 'src')).includes('topic-use.ts'))
    for (const name of declaring) expect(Object.keys(SOURCES), name).toContain(name)
  })

  it('every topic has a declared producer and a declared consumer', () => {
    expect(topicContractProblems(TOPIC_USES)).toEqual([])
  })

  it('the helpers table matches the helpers: each helper names the topic it touches', () => {
    for (const helper of TOPIC_HELPERS) {
      const text = readFileSync(join(root, helper.defined), 'utf8')
      const id = helper.produces ?? helper.consumes!
      expect(new RegExp(`\\b(TOPICS|topicUse\\.(produced|consumed))\\.${id}\\b`).test(text), `${helper.name} in ${helper.defined}`).toBe(true)
    }
  })

  it('catches a wrong declaration: a topic the code uses and does not declare, one declared and unused, one named around it', () => {
    expect(mismatches(fixtureUse, 'services/platform/test/fixtures/topic-contract').sort()).toEqual(
      [
        "fixture: services/platform/test/fixtures/topic-contract/stray-topics.ts:6 names TOPICS.access; take the topic from its topicUse",
        "fixture: services/platform/test/fixtures/topic-contract/stray-topics.ts:7 names 'strata.warming.v1'; take the topic from its topicUse",
        'fixture produces errors in code but does not declare it',
        'fixture declares it consumes alerts but no code of it does',
      ].sort(),
    )
    // The real warmer's code against a declaration that forgot its consumer and claims a producer it is not.
    const warmer = TOPIC_USES.find((use) => use.component === 'warmer')!
    const wrong = defineTopicUse('warmer', { produces: { warming: warmer.produces.warming!, errors: warmer.produces.errors!, access: 'claimed, never done' } })
    expect(mismatches(wrong, SOURCES.warmer!).sort()).toEqual(['warmer consumes hotKeys in code but does not declare it', 'warmer declares it produces access but no code of it does'].sort())
    // A platform where nobody reads a topic is refused.
    expect(topicContractProblems(TOPIC_USES.map((use) => (use.component === 'warmer' ? wrong : use)))).toContain(`${TOPICS.hotKeys} (hotKeys) has no declared consumer`)
  })

  it('the AsyncAPI document lists exactly the declared producers and consumers, as operations and in each channel', () => {
    const doc = buildAsyncApiDocument(TOPIC_USES) as { channels: Record<string, { description: string }>; operations: Record<string, { action: string; channel: { $ref: string }; summary: string }> }
    for (const [id] of Object.entries(TOPICS)) {
      const operations = Object.values(doc.operations).filter((operation) => operation.channel.$ref === `#/channels/${id}`)
      const expected = TOPIC_USES.flatMap((use) => [
        ...(Object.hasOwn(use.produces, id) ? [`send ${use.component}`] : []),
        ...(Object.hasOwn(use.consumes, id) ? [`receive ${use.component}`] : []),
      ])
      expect(operations.map((operation) => `${operation.action} ${operation.summary.split(':')[0]}`).sort(), id).toEqual(expected.sort())
    }
  })
})
