import { createEvent } from '@strata/bus'
import { isStrataError } from '@strata/core'
import { describe, expect, it } from 'vitest'
import { parseRules } from './rules-loader.js'
import { planInvalidations } from './rule-planner.js'

const RULES = parseRules(`version: 1
rules:
  - name: product
    topic: shop.catalog.v1
    type: product.updated
    namespace: products
    keys: ['{data.id}']
    expireTags: ['category:{data.category}']
  - name: product-page
    topic: shop.catalog.v1
    type: product.updated
    upstream: demo
    surrogateKeys: ['product-{data.id}']
  - name: orders
    topic: shop.orders.v1
    type: product.updated
    namespace: orders
    prefixes: ['by-product:{data.id}:']
`)

const event = (data: unknown, type = 'product.updated') => createEvent({ type, source: 'shop', data, time: new Date(5_000) })

describe('planInvalidations (the one dialect: {data.…} templates, strict)', () => {
  it('renders every matching rule, namespace and upstream targets, with the event as the cause', () => {
    expect(planInvalidations(RULES, 'shop.catalog.v1', event({ id: 42, category: 'lamps' }))).toEqual([
      expect.objectContaining({ namespace: 'products', keys: ['42'], expireTags: ['category:lamps'], trigger: 'event', rule: 'product', sourceEventType: 'product.updated', occurredAt: 5_000 }),
      expect.objectContaining({ upstream: 'demo', surrogateKeys: ['product-42'], rule: 'product-page' }),
    ])
  })

  it('without a topic (POST /v1/events), rules of every topic match', () => {
    expect(planInvalidations(RULES, undefined, event({ id: 1, category: 'c' })).map((request) => request.rule)).toEqual(['product', 'product-page', 'orders'])
  })

  it('refuses an event lacking a field a matching rule needs, whole: never skipped, never applied in part', () => {
    let caught: unknown
    try {
      planInvalidations(RULES, undefined, event({ id: 1 }))
    } catch (error) {
      caught = error
    }
    expect(isStrataError(caught, 'E_EVENT_INVALID')).toBe(true)
    expect((caught as Error).message).toBe("template 'category:{data.category}' needs data.category, which the event lacks")
  })

  it('plans nothing for an event no rule matches', () => {
    expect(planInvalidations(RULES, undefined, event({ id: 1 }, 'product.updatd'))).toEqual([])
  })
})

describe('rules in the one dialect', () => {
  const error = (text: string) => {
    try {
      parseRules(text, 'r.yaml')
    } catch (caught) {
      return (caught as Error).message
    }
    throw new Error('expected E_RULES_INVALID')
  }

  it('refuses a rule in the gateway\u2019s former shape, and reads {id} as the event id, never as data.id', () => {
    expect(error("version: 1\nrules:\n  - type: product.updated\n    namespace: products\n    keys: ['{id}']\n")).toMatch(/^r\.yaml:3: rule \(#1\): /)
    const [rule] = parseRules("version: 1\nrules:\n  - { name: p, topic: t, namespace: n, keys: ['{id}'] }\n").rules
    const sent = event({ id: 7 })
    expect(rule!.keys[0]!.render(sent)).toBe(sent.id)
  })

  it('takes a namespace or an upstream, not both, and surrogateKeys only with an upstream', () => {
    expect(error('version: 1\nrules:\n  - { name: p, topic: t, namespace: n, upstream: u, keys: [a] }\n')).toMatch(/give exactly one of namespace .* or upstream/)
    expect(error('version: 1\nrules:\n  - { name: p, topic: t, upstream: u, keys: [a] }\n')).toMatch(/upstream 'u' takes surrogateKeys only/)
    expect(error('version: 1\nrules:\n  - { name: p, topic: t, namespace: n, surrogateKeys: [a] }\n')).toMatch(/surrogateKeys need an upstream/)
    expect(error('version: 1\nrules:\n  - { name: p, topic: t, upstream: u }\n')).toMatch(/invalidates nothing: give surrogateKeys/)
  })
})
