import { describe, expect, it } from 'vitest'
import { History, checkHistory } from './support/coherence/history-checker.js'

// The checker itself: it must catch a stale read past the bound and a lost invalidation, and pass what is in bound.
describe('the coherence history checker', () => {
  it('passes reads within the bound and flags those beyond it, and final reads of an old value as lost', () => {
    const history = new History()
    history.change({ key: 'k', value: 1, kind: 'api', ackAt: 1_000 })
    history.change({ key: 'k', value: 2, kind: 'event', ackAt: 5_000 })
    history.read({ gateway: 0, key: 'k', value: 1, startedAt: 6_500 })
    history.read({ gateway: 1, key: 'k', value: 2, startedAt: 20_000 })
    history.read({ gateway: 1, key: 'k', value: 1, startedAt: 7_500 })
    history.read({ gateway: 0, key: 'k', value: 1, startedAt: 30_000, final: true })
    history.read({ gateway: 0, key: 'other', value: 3, startedAt: 30_000, final: true })
    const verdict = checkHistory(history, 2_000)
    expect(verdict.staleBeyondBound.map((stale) => stale.read.startedAt)).toEqual([7_500])
    expect(verdict.staleBeyondBound[0]).toMatchObject({ expected: 2, lagMs: 2_500 })
    expect(verdict.lost).toHaveLength(1)
    expect(verdict.maxLagMs).toBe(25_000)
  })
})
