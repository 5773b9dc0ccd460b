import type { Receiver } from '@strata/config'
import type { AlertRecord } from '../store/alert-store.js'

export const WEBHOOK_SCHEMA_VERSION = 'strata.alerts.webhook.v1'

export interface WebhookAlert {
  fingerprint: string
  rule: string
  status: 'firing' | 'resolved'
  severity: string
  summary: string
  labels: Record<string, string>
  value: number | null
  activeSince: string
  firedAt: string | null
  resolvedAt: string | null
}

/** The body of a `strata` format delivery (docs/guides/alerting.md describes every field). */
export interface WebhookPayload {
  version: typeof WEBHOOK_SCHEMA_VERSION
  /** The notification id: also the Idempotency-Key header; a receiver processes each id once. */
  id: string
  receiver: string
  status: 'firing' | 'resolved'
  groupKey: string
  groupLabels: Record<string, string>
  alerts: WebhookAlert[]
  createdAt: string
}

export interface DeliveryJob {
  notificationId: string
  receiver: string
  body: string
}

const iso = (time: number | undefined): string | null => (time === undefined ? null : new Date(time).toISOString())

/** The body for one receiver: Strata's versioned JSON, or Slack's incoming-webhook shape. */
export function renderBody(receiver: Receiver, id: string, groupKey: string, groupLabels: Record<string, string>, alerts: readonly AlertRecord[], now: number): string {
  const items: WebhookAlert[] = alerts.map((alert) => ({
    fingerprint: alert.fingerprint,
    rule: alert.rule,
    status: alert.state === 'resolved' ? 'resolved' : 'firing',
    severity: alert.severity,
    summary: alert.summary,
    labels: alert.labels,
    value: alert.value ?? null,
    activeSince: new Date(alert.activeSince).toISOString(),
    firedAt: iso(alert.firedAt),
    resolvedAt: iso(alert.resolvedAt),
  }))
  const status = items.some((alert) => alert.status === 'firing') ? 'firing' : 'resolved'
  if (receiver.format === 'slack') {
    const lines = items.map((alert) => `${alert.status === 'firing' ? ':red_circle:' : ':large_green_circle:'} *${alert.rule}* (${alert.severity}) ${alert.summary}${alert.value === null ? '' : ` — value ${round(alert.value)}`} ${labelText(alert.labels)}`)
    const title = `[${status.toUpperCase()}] ${groupKey}`
    return JSON.stringify({ text: `${title}\n${lines.join('\n')}`, blocks: [{ type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } }, { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n').slice(0, 3000) } }] })
  }
  const payload: WebhookPayload = { version: WEBHOOK_SCHEMA_VERSION, id, receiver: receiver.name, status, groupKey, groupLabels, alerts: items, createdAt: new Date(now).toISOString() }
  return JSON.stringify(payload)
}

const round = (value: number): string => String(Math.round(value * 1000) / 1000)
const labelText = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([name, value]) => `\`${name}=${value}\``)
    .join(' ')
