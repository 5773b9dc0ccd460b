import { describe, expect, it } from 'vitest'
import { parsePlan } from './warm-plan.js'

describe('warm plan', () => {
  it('reads key and query targets', () => {
    const plan = parsePlan(`version: 1
rate: { perSecond: 50, burst: 5 }
origins:
  products: http://127.0.0.1:8080/products/{key}
targets:
  - name: top-products
    namespace: products
    keys: [product:1, product:2]
    cron: '*/5 * * * *'
    onStart: true
  - name: dashboard
    queries:
      - sql: SELECT count(*) FROM orders WHERE status = $1
        params: [[open], [shipped]]
`)
    expect(plan.rate).toEqual({ perSecond: 50, burst: 5 })
    expect(plan.targets).toEqual([
      { kind: 'keys', name: 'top-products', namespace: 'products', keys: ['product:1', 'product:2'], cron: '*/5 * * * *', onStart: true },
      { kind: 'queries', name: 'dashboard', queries: [{ sql: 'SELECT count(*) FROM orders WHERE status = $1', params: [['open'], ['shipped']] }] },
    ])
  })

  it('refuses bad plans with E_INVALID_OPTION naming the place', () => {
    expect(() => parsePlan('version: 1\nrate: { perSecond: 0 }\ntargets: []', 'plan.yaml')).toThrow(/plan\.yaml:2: \/rate\/perSecond/)
    expect(() => parsePlan('version: 1\nrate: { perSecond: 1 }\ntargets: [{ name: x, keys: [] }]', 'plan.yaml')).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }))
    expect(() => parsePlan('version: 1\nrate: { perSecond: 1 }\norigins: { p: "ftp://x" }\ntargets: []')).toThrow(/origins/)
    expect(() => parsePlan('version: [')).toThrow(/<plan>:1: not valid YAML/)
    // The same loader as the rules files: a duplicate key is an error, at its line.
    expect(() => parsePlan('version: 1\nrate: { perSecond: 1 }\ntargets: []\ntargets: []', 'plan.yaml')).toThrow(/plan\.yaml:4: not valid YAML: Map keys must be unique/)
  })
})
