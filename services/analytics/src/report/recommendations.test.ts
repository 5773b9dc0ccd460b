import { describe, expect, it } from 'vitest'
import type { NamespaceReport } from '@strata/api'
import { recommend } from './recommendations.js'

const latency = { count: 1, p50: 1, p90: 1, p99: 1, p999: 1, max: 1 }

function report(overrides: Partial<Omit<NamespaceReport, 'recommendations'>> = {}): Omit<NamespaceReport, 'recommendations'> {
  return {
    namespace: 'products',
    requests: 1000,
    perSecond: 1,
    hitRatio: 0.9,
    staleRatio: 0,
    bytes: 0,
    evictions: 0,
    tiers: [
      { tier: 'l1', requests: 800, share: 0.8, latency },
      { tier: 'l2', requests: 100, share: 0.1, latency },
      { tier: 'origin', requests: 100, share: 0.1, latency },
    ],
    hotKeys: [],
    stampedeKeys: [],
    keysHashed: false,
    series: [],
    trends: { hourOverHour: [], dayOverDay: [] },
    anomalies: [],
    ...overrides,
  }
}

const kinds = (ns: Omit<NamespaceReport, 'recommendations'>, total = 1000) => recommend(ns, total).map((r) => r.kind)

describe('the optimization report', () => {
  it('says nothing about a healthy namespace', () => {
    expect(kinds(report({ hotKeys: [{ key: 'a', count: 50, error: 0 }] }))).toEqual([])
  })

  it('names hot keys that L1 does not serve, with their share, and says which policy field to change', () => {
    const ns = report({
      tiers: [
        { tier: 'l2', requests: 900, share: 0.9, latency },
        { tier: 'origin', requests: 100, share: 0.1, latency },
      ],
      hotKeys: [
        { key: '42', count: 900, error: 0 },
        { key: '7', count: 120, error: 30 },
        { key: '1', count: 5, error: 0 },
      ],
    })
    const [hot] = recommend(ns, 1000)
    expect(hot).toMatchObject({ kind: 'hot-keys-off-l1', severity: 'warning', keys: ['42'] })
    expect(hot!.finding).toContain("'42' (90% of reads)")
    expect(hot!.finding).toContain('L1 answered 0%')
    expect(hot!.action).toContain('l1Ttl')
    expect(hot!.action).toContain('/v1/admin/namespaces/products')
  })

  it('does not call a key hot on its upper bound alone', () => {
    expect(kinds(report({ tiers: [{ tier: 'l2', requests: 1000, share: 1, latency }], hotKeys: [{ key: 'x', count: 150, error: 100 }] }))).toEqual([])
  })

  it('sizes L1 from the miss-ratio curve when doubling it gains enough', () => {
    const relative = [
      { multiple: 1, size: 100, hitRatio: 0.5 },
      { multiple: 2, size: 200, hitRatio: 0.6 },
      { multiple: 4, size: 400, hitRatio: 0.72 },
      { multiple: 8, size: 800, hitRatio: 0.74 },
    ]
    const [grow] = recommend(report({ mrc: { samplingRate: 1, references: 10_000, points: [], l1MaxEntries: 100, relative } }), 0)
    expect(grow).toMatchObject({ kind: 'grow-l1' })
    expect(grow!.finding).toContain('400 entries (4×')
    expect(grow!.finding).toContain('72%')
    expect(grow!.action).toContain('STRATA_GATEWAY_L1_ENTRIES')
    relative[1]!.hitRatio = 0.52
    expect(kinds(report({ mrc: { samplingRate: 1, references: 10_000, points: [], l1MaxEntries: 100, relative } }))).toEqual([])
  })

  it('flags stampede-prone keys, a low hit ratio and stale reads, but not on too few reads', () => {
    const ns = report({
      hitRatio: 0.3,
      staleRatio: 0.25,
      tiers: [
        { tier: 'l2', requests: 300, share: 0.3, latency },
        { tier: 'origin', requests: 700, share: 0.7, latency },
      ],
      stampedeKeys: [
        { key: 'flash-sale', count: 12, error: 0 },
        { key: 'once', count: 2, error: 0 },
      ],
    })
    expect(kinds(ns)).toEqual(['stampede', 'low-hit-ratio', 'stale-reads'])
    expect(recommend(ns, 1000)[0]!.keys).toEqual(['flash-sale'])
    const few = { ...ns, tiers: ns.tiers.map((tier) => ({ ...tier, requests: tier.requests / 100 })) }
    expect(kinds(few)).toEqual(['stampede'])
  })
})
