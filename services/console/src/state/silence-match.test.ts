import { describe, expect, it } from 'vitest'
import type { AlertView } from '../api/types.js'
import { matchersFor, silencesOf } from './silence-match.js'

const alert: AlertView = { fingerprint: 'f', rule: 'low-hits', labels: { alertname: 'low-hits', namespace: 'orders', severity: 'warning' }, severity: 'warning', summary: '', state: 'firing', activeSince: 0 }

describe('silences', () => {
  it('matches when every matcher label is equal, while the silence lasts', () => {
    const silence = { id: 's', matchers: matchersFor(alert), startsAt: 0, endsAt: 100, comment: 'c', createdBy: 'me' }
    expect(silence.matchers).toEqual({ alertname: 'low-hits', namespace: 'orders' })
    expect(silencesOf(alert, [silence], 50)).toHaveLength(1)
    expect(silencesOf(alert, [silence], 100)).toHaveLength(0)
    expect(silencesOf(alert, [{ ...silence, matchers: { namespace: 'payments' } }], 50)).toHaveLength(0)
  })
})
