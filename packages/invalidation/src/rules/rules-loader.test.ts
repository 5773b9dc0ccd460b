import { createEvent } from '@strata/bus'
import { isStrataError } from '@strata/core'
import { describe, expect, it } from 'vitest'
import { ruleMatches } from './invalidation-rule.js'
import { parseRules } from './rules-loader.js'
import { compileTemplate } from './template.js'

const GOOD = `version: 1
namespaces:
  orders: { ttl: 60000, maxTtl: 86400000 }
rules:
  - name: order-changed
    topic: shop.orders.v1
    type: [order.updated, order.cancelled]
    match: { data.region: [eu, us] }
    namespace: orders
    keys: ['order:{data.id}', 'customer-orders:{data.customer.id}']
    tags: ['customer:{data.customer.id}']
    prefixes: ['order-lines:{data.id}:']
  - name: catalog-reset
    topic: shop.catalog.v1
    namespace: catalog
    all: true
schedules:
  - name: nightly
    namespace: reports
    cron: '0 3 * * *'
    all: true
  - name: carts
    namespace: carts
    every: 60000
    prefix: 'cart:'
`

function rulesError(text: string): string {
  try {
    parseRules(text, 'rules.yaml')
  } catch (error) {
    expect(isStrataError(error, 'E_RULES_INVALID')).toBe(true)
    return (error as Error).message
  }
  throw new Error('expected E_RULES_INVALID')
}

describe('rules', () => {
  it('parses rules, schedules and namespace policies', () => {
    const set = parseRules(GOOD, 'rules.yaml')
    expect(set.topics).toEqual(['shop.orders.v1', 'shop.catalog.v1'])
    expect(set.namespaces.orders).toEqual({ ttl: 60000, maxTtl: 86400000 })
    const [order, catalog] = set.rules
    expect(order!.line).toBe(5)
    expect(order!.types).toEqual(['order.updated', 'order.cancelled'])
    expect(order!.keys.map((t) => t.source)).toEqual(['order:{data.id}', 'customer-orders:{data.customer.id}'])
    expect(catalog!.all).toBe(true)
    expect(set.schedules).toEqual([
      { name: 'nightly', namespace: 'reports', cron: '0 3 * * *', line: 18 },
      { name: 'carts', namespace: 'carts', everyMs: 60000, prefix: 'cart:', line: 22 },
    ])
  })

  it('matches on topic, type and data fields', () => {
    const [rule] = parseRules(GOOD).rules
    const event = (type: string, data: unknown) => createEvent({ type, source: 'shop', data })
    expect(ruleMatches(rule!, 'shop.orders.v1', event('order.updated', { id: 1, region: 'eu' }))).toBe(true)
    expect(ruleMatches(rule!, 'shop.orders.v1', event('order.updated', { id: 1, region: 'asia' }))).toBe(false)
    expect(ruleMatches(rule!, 'shop.orders.v1', event('order.created', { id: 1, region: 'eu' }))).toBe(false)
    expect(ruleMatches(rule!, 'shop.other.v1', event('order.updated', { id: 1, region: 'eu' }))).toBe(false)
  })

  it('stops at a YAML syntax error, naming the file and line', () => {
    expect(rulesError('version: 1\nrules:\n  - name: a\n    keys: [unclosed\n')).toMatch(/^rules\.yaml:\d+: YAML syntax error/)
    expect(rulesError('version: 1\nrules: [\n  - name: a\n')).toMatch(/^rules\.yaml:\d: YAML syntax error/)
    expect(rulesError('version: 1\nrules:\n  - name: a\n   bad indentation: [x\n  - name: b\n')).toMatch(/^rules\.yaml:4: YAML syntax error/)
  })

  it('stops at a template error, naming the file, the line of the template and the rule', () => {
    const text = GOOD.replace("'order:{data.id}'", "'order:{data.id'")
    expect(rulesError(text)).toBe("rules.yaml:10: rule 'order-changed' (#1): template 'order:{data.id' has a '{' without its '}'")
    expect(rulesError(GOOD.replace("'customer:{data.customer.id}'", "'customer:{payload.id}'"))).toMatch(
      /^rules\.yaml:11: rule 'order-changed' \(#1\): template 'customer:\{payload\.id\}' reads/,
    )
  })

  it('stops at a rule that does not match the schema, or invalidates nothing, or repeats a name', () => {
    expect(rulesError(GOOD.replace('namespace: catalog', 'namespace: "bad name"'))).toMatch(/^rules\.yaml:15: rule 'catalog-reset' \(#2\): \/namespace/)
    expect(rulesError(GOOD.replace('    all: true\nschedules', '    all: false\nschedules'))).toMatch(/^rules\.yaml:13: rule 'catalog-reset' \(#2\): invalidates nothing/)
    expect(rulesError(GOOD.replace('name: catalog-reset', 'name: order-changed'))).toMatch(/^rules\.yaml:13: rule 'order-changed': the name is already used by the rule at line 5/)
    expect(rulesError(GOOD.replace('    keys: [', '    kees: ['))).toMatch(/^rules\.yaml:\d+: rule 'order-changed' \(#1\)/)
    expect(rulesError(GOOD.replace("cron: '0 3 * * *'", "cron: 'every night'"))).toMatch(/^rules\.yaml:20: schedule 'nightly' \(#1\): invalid cron/)
    expect(rulesError('version: 2\n')).toMatch(/^rules\.yaml:1: \/version/)
  })

  it('renders templates from the envelope, and refuses an event that lacks a field', () => {
    const template = compileTemplate('order:{data.id}:{data.customer.id}:{subject}')
    const event = createEvent({ type: 't', source: 's', subject: 'o-1', data: { id: 7, customer: { id: 'c9' } } })
    expect(template.render(event)).toBe('order:7:c9:o-1')
    const lacking = createEvent({ type: 't', source: 's', subject: 'o-1', data: { id: 7 } })
    expect(() => template.render(lacking)).toThrow(/needs data\.customer\.id, which the event lacks/)
    const nested = createEvent({ type: 't', source: 's', subject: 'o', data: { id: [1], customer: { id: 1 } } })
    expect(() => template.render(nested)).toThrow(/which is an array/)
  })
})
