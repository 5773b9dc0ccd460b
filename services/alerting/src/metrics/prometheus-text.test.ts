import { describe, expect, it } from 'vitest'
import { parsePrometheusText } from './prometheus-text.js'

describe('parsePrometheusText', () => {
  it('reads names, escaped labels and special values, and skips comments and garbage', () => {
    const text = [
      '# HELP strata_cache_requests_total Cache lookups',
      '# TYPE strata_cache_requests_total counter',
      'strata_cache_requests_total{namespace="a",tier="l1",result="hit"} 42',
      'strata_cache_requests_total{namespace="q\\"uote",tier="none",result="miss"} 7 1700000000000',
      'up 1',
      'bucket{le="+Inf"} +Inf',
      'broken{namespace="x" 3',
      'novalue{a="b"} abc',
    ].join('\n')
    expect(parsePrometheusText(text)).toEqual([
      { name: 'strata_cache_requests_total', labels: { namespace: 'a', tier: 'l1', result: 'hit' }, value: 42 },
      { name: 'strata_cache_requests_total', labels: { namespace: 'q"uote', tier: 'none', result: 'miss' }, value: 7 },
      { name: 'up', labels: {}, value: 1 },
      { name: 'bucket', labels: { le: '+Inf' }, value: Infinity },
    ])
  })
})
