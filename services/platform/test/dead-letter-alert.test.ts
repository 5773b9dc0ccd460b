import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { compileReceiver } from '@strata/config'
import { transportInvalidationBus } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { memoryStore } from '@strata/core'
import { MemoryJobQueue } from '@strata/queue'
import { requireKafka, uniqueName, waitUntil } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEAD_LETTER_RULE, MemoryAlertStore, buildAlerting, type Alerting, type DeliveryJob } from '@strata/alerting'
import { MemoryEventDedupe, buildInvalidator, parseRules, type Invalidator } from '@strata/invalidator'
import { WebhookReceiver } from '../../alerting/test/support/webhook-receiver.js'

const SECRET = 'dead-letter-secret-0123456789'

/**
 * Issue 19 item 6, end to end on real Kafka: a domain event the invalidator cannot apply is dead-lettered, reported on
 * the errors topic (ErrorEventPublisher, `deadLetter: true`), read by alerting's error source, and the default
 * `dead-lettered-work` rule sends one signed webhook. Two services composed, so the test lives in the platform. The
 * errors topic is this test's own: strata.errors.v1 is shared with everything else running on the machine.
 */
describe('errors become alerts: a dead-lettered domain event → one signed webhook (real Kafka)', () => {
  const domainTopic = uniqueName('shop.products')
  const errorsTopic = uniqueName('test.errors')
  let invalidatorTransport: KafkaTransport
  let alertingTransport: KafkaTransport
  let invalidator: Invalidator
  let alerting: Alerting
  let deliveries: MemoryJobQueue<DeliveryJob>
  const receiver = new WebhookReceiver(SECRET)

  beforeAll(async () => {
    const brokers = await requireKafka()
    const receiverUrl = await receiver.start()
    invalidatorTransport = new KafkaTransport({ brokers, clientId: uniqueName('invalidator'), log: () => undefined })
    alertingTransport = new KafkaTransport({ brokers, clientId: uniqueName('alerting'), log: () => undefined })
    deliveries = new MemoryJobQueue<DeliveryJob>(uniqueName('webhooks'))
    alerting = buildAlerting({
      sources: [],
      store: new MemoryAlertStore(),
      rules: [],
      receivers: [compileReceiver({ name: 'ops', url: `${receiverUrl}/ops`, secret: SECRET }, {})],
      deliveries,
      // The default rule over a window long enough that it cannot resolve (and notify again) while the test watches.
      errorEvents: { transport: alertingTransport, topic: errorsTopic, group: uniqueName('alerting-errors'), startFrom: 'earliest', deadLetterWindow: '60s' },
      intervalMs: 200,
    })
    await alerting.start()
    invalidator = buildInvalidator({
      transport: invalidatorTransport,
      l2: memoryStore(),
      publisher: transportInvalidationBus(invalidatorTransport, { instanceId: 'dead-letter-test', topic: uniqueName('test.invalidations') }),
      rules: parseRules(`version: 1\nrules:\n  - { name: product-updated, topic: ${domainTopic}, type: product.updated, namespace: products, keys: ['product:{data.id}'] }\n`, 'test-rules.yaml'),
      dedupe: new MemoryEventDedupe(),
      group: uniqueName('invalidator'),
      retry: { attempts: 2, initialBackoffMs: 20, maxBackoffMs: 50 },
      recordsTopic: false,
      errorsTopic,
    })
    await invalidator.start()
  }, 120_000)

  afterAll(async () => {
    await invalidator?.stop()
    await alerting?.stop()
    await deliveries?.close()
    await invalidatorTransport?.close()
    await alertingTransport?.close()
    await receiver.stop()
  }, 60_000)

  it('the default rule fires once for a burst of dead letters and delivers one signed firing notification', { timeout: 120_000 }, async () => {
    // Events the rule cannot apply: `{data.id}` is missing, which dead-letters (the strict rule language).
    const lacking = (n: number) => ({ key: `bad-${n}`, value: Buffer.from(JSON.stringify({ specversion: '1.0', id: randomUUID(), type: 'product.updated', source: 'shop/products', time: new Date().toISOString(), data: { sku: n } })), headers: {} })
    await invalidatorTransport.publish(domainTopic, [lacking(1), lacking(2)])

    await waitUntil(() => receiver.acceptedAt('/ops').length >= 1, 90_000)
    // Several evaluations later (and both dead letters counted), still one: the alert stays firing, nothing is re-sent.
    await sleep(3_000)
    const notifications = receiver.acceptedAt('/ops')
    expect(notifications, JSON.stringify(notifications, null, 1)).toHaveLength(1)
    expect(receiver.attempts.every((attempt) => attempt.verified)).toBe(true)
    const [notification] = notifications
    expect(notification).toMatchObject({ status: 'firing', receiver: 'ops' })
    expect(notification!.alerts).toHaveLength(1)
    expect(notification!.alerts[0]).toMatchObject({ rule: DEAD_LETTER_RULE, status: 'firing', labels: expect.objectContaining({ service: 'invalidator', code: 'E_EVENT_INVALID' }) })
    expect(notification!.alerts[0]!.value).toBe(2)
  })
})
