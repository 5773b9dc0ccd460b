import { describe, expect, it } from 'vitest'
import { renderSummary } from './summary-template.js'

describe('renderSummary', () => {
  const rule = { name: 'catalog-misses', summary: 'catalog missed {{value}} times in a minute', threshold: 100 }

  it('puts the measured value in', () => {
    expect(renderSummary(rule, {}, 142)).toBe('catalog missed 142 times in a minute')
    expect(renderSummary({ ...rule, summary: 'hit ratio {{ value }} < {{threshold}}' }, {}, 0.81234)).toBe('hit ratio 0.812 < 100')
  })

  it('reads labels and the rule name, and leaves unknown placeholders as written', () => {
    const summary = '{{rule}}: {{labels.namespace}} / {{namespace}} {{nope}}'
    expect(renderSummary({ ...rule, summary }, { namespace: 'orders' }, 1)).toBe('catalog-misses: orders / orders {{nope}}')
    expect(renderSummary(rule, {}, undefined)).toBe('catalog missed {{value}} times in a minute')
  })

  it('keeps a summary without placeholders as it is', () => {
    expect(renderSummary({ ...rule, summary: 'plain' }, {}, 3)).toBe('plain')
  })
})
