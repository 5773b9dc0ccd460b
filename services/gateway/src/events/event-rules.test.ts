import { describe, expect, it } from 'vitest'
import { planInvalidations } from './event-rules.js'

describe('planInvalidations', () => {
  it('expands templates from the event data and skips rules of other types and templates with missing fields', () => {
    const rules = [
      { type: 'product.updated', upstream: 'demo', surrogateKeys: ['product-{id}', 'category-{category}'] },
      { type: 'product.updated', namespace: 'products', keys: ['{id}'] },
      { type: 'order.updated', namespace: 'orders', keys: ['{id}'] },
    ]
    expect(planInvalidations(rules, 'product.updated', { id: 42 })).toEqual([
      { upstream: 'demo', keys: [], tags: [], surrogateKeys: ['product-42'] },
      { namespace: 'products', keys: ['42'], tags: [], surrogateKeys: [] },
    ])
  })
})
