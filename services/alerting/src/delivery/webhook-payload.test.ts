import { describe, expect, it } from 'vitest'
import type { Receiver } from '@strata/config'
import type { AlertRecord } from '../store/alert-store.js'
import { renderBody } from './webhook-payload.js'

const receiver: Receiver = { name: 'ops', url: 'http://127.0.0.1:9/', secret: 'x'.repeat(16), format: 'strata', namespaces: undefined, severities: undefined, timeoutMs: 1000 }
const alert: AlertRecord = {
  fingerprint: 'f1',
  rule: 'hit-ratio',
  labels: { alertname: 'hit-ratio', namespace: 'catalog', severity: 'critical' },
  severity: 'critical',
  summary: 'Hit ratio fell',
  state: 'firing',
  activeSince: Date.UTC(2026, 0, 1),
  firedAt: Date.UTC(2026, 0, 1, 0, 0, 1),
  value: 0.21234,
  notified: 'none',
}

describe('renderBody', () => {
  it('renders the versioned strata payload', () => {
    const body = JSON.parse(renderBody(receiver, 'n1', 'alertname=hit-ratio', { alertname: 'hit-ratio' }, [alert], Date.UTC(2026, 0, 1, 0, 0, 2))) as unknown
    expect(body).toEqual({
      version: 'strata.alerts.webhook.v1',
      id: 'n1',
      receiver: 'ops',
      status: 'firing',
      groupKey: 'alertname=hit-ratio',
      groupLabels: { alertname: 'hit-ratio' },
      alerts: [
        {
          fingerprint: 'f1',
          rule: 'hit-ratio',
          status: 'firing',
          severity: 'critical',
          summary: 'Hit ratio fell',
          labels: alert.labels,
          value: 0.21234,
          activeSince: '2026-01-01T00:00:00.000Z',
          firedAt: '2026-01-01T00:00:01.000Z',
          resolvedAt: null,
        },
      ],
      createdAt: '2026-01-01T00:00:02.000Z',
    })
  })

  it('renders a Slack incoming-webhook message when the receiver asks for it', () => {
    const body = JSON.parse(renderBody({ ...receiver, format: 'slack' }, 'n1', 'alertname=hit-ratio', {}, [{ ...alert, state: 'resolved', resolvedAt: 1 }], 0)) as { text: string; blocks: Array<{ type: string }> }
    expect(body.text).toBe('[RESOLVED] alertname=hit-ratio\n:large_green_circle: *hit-ratio* (critical) Hit ratio fell — value 0.212 `alertname=hit-ratio` `namespace=catalog` `severity=critical`')
    expect(body.blocks.map((block) => block.type)).toEqual(['header', 'section'])
  })
})
