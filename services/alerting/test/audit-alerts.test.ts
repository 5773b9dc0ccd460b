import { setTimeout as sleep } from 'node:timers/promises'
import { KafkaTransport } from '@strata/bus/kafka'
import { MemoryJobQueue } from '@strata/queue'
import { AuditTrail, MemoryAuditLog } from '@strata/security'
import { requireKafka, uniqueName, waitUntil } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryAlertStore, buildAlerting, parseAlertingConfig, type Alerting, type DeliveryJob } from '../src/app.js'
import { WebhookReceiver } from './support/webhook-receiver.js'

const SECRET = 'audit-alert-secret-0123456789'

/**
 * strata.audit.v1 earns its place: alerting reads it as strata_audit_events_total{service, action, outcome}, so a burst
 * of denied actions is an ordinary rule (template audit-events) ending in one signed webhook. Real Kafka; the audit
 * topic is this test's own (strata.audit.v1 is shared with every other suite on the machine).
 */
describe('audited actions become alerts (real Kafka)', () => {
  const auditTopic = uniqueName('test.audit')
  let gatewayTransport: KafkaTransport
  let alertingTransport: KafkaTransport
  let alerting: Alerting
  let deliveries: MemoryJobQueue<DeliveryJob>
  let trail: AuditTrail
  const receiver = new WebhookReceiver(SECRET)

  beforeAll(async () => {
    const brokers = await requireKafka()
    const receiverUrl = await receiver.start()
    gatewayTransport = new KafkaTransport({ brokers, clientId: uniqueName('gateway'), log: () => undefined })
    alertingTransport = new KafkaTransport({ brokers, clientId: uniqueName('alerting'), log: () => undefined })
    deliveries = new MemoryJobQueue<DeliveryJob>(uniqueName('webhooks'))
    const config = parseAlertingConfig(
      `version: 1
receivers:
  - { name: security, url: '${receiverUrl}/security', secretEnv: AUDIT_TEST_SECRET }
rules:
  # A window long enough that the alert cannot resolve (and notify again) while the test watches.
  - { name: denied-burst, template: audit-events, params: { outcome: denied, above: 2, window: 60s } }
`,
      'audit-alerts.yaml',
      { AUDIT_TEST_SECRET: SECRET },
    )
    alerting = buildAlerting({
      sources: [],
      store: new MemoryAlertStore(),
      rules: config.rules,
      receivers: config.receivers,
      deliveries,
      auditEvents: { transport: alertingTransport, topic: auditTopic, group: uniqueName('alerting-audit'), startFrom: 'earliest' },
      intervalMs: 200,
    })
    await alerting.start()
    trail = new AuditTrail(new MemoryAuditLog(), { transport: gatewayTransport, topic: auditTopic, source: 'strata/gateway/audit-test' })
  }, 120_000)

  afterAll(async () => {
    await alerting?.stop()
    await deliveries?.close()
    await gatewayTransport?.close()
    await alertingTransport?.close()
    await receiver.stop()
  }, 60_000)

  it('three denied sign-ins fire the rule once, with the service, action and count; allowed actions do not count', { timeout: 120_000 }, async () => {
    const at = Date.now()
    await trail.record({ actor: 'key:admin', action: 'key.create', resource: 'api-key:a', outcome: 'allowed', at })
    for (let i = 0; i < 2; i++) await trail.record({ actor: 'anonymous', action: 'auth.failed', resource: '/v1/kv/orders/1', outcome: 'denied', at: at + i })
    // Two denials are not above 2: nothing may fire before the third.
    await sleep(2_000)
    expect(receiver.acceptedAt('/security')).toEqual([])
    await trail.record({ actor: 'anonymous', action: 'auth.failed', resource: '/v1/kv/orders/1', outcome: 'denied', at: at + 2 })

    await waitUntil(() => receiver.acceptedAt('/security').length >= 1, 90_000)
    await sleep(2_000)
    const notifications = receiver.acceptedAt('/security')
    expect(notifications, JSON.stringify(notifications, null, 1)).toHaveLength(1)
    expect(receiver.attempts.every((attempt) => attempt.verified)).toBe(true)
    expect(notifications[0]!.alerts).toHaveLength(1)
    expect(notifications[0]!.alerts[0]).toMatchObject({ rule: 'denied-burst', status: 'firing', labels: expect.objectContaining({ service: 'gateway', action: 'auth.failed', outcome: 'denied' }) })
    expect(notifications[0]!.alerts[0]!.value).toBe(3)
  })
})
