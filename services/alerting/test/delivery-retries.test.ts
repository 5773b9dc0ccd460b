import { setTimeout as sleep } from 'node:timers/promises'
import { TOPICS, type ErrorEvent } from '@strata/bus'
import { eventually, uniqueName } from '@strata/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { SECRET, startAlerting, watchTopic } from './support/harness.js'
import { MetricsEndpoint } from './support/metrics-endpoint.js'
import { WebhookReceiver } from './support/webhook-receiver.js'

describe('acceptance 2: retries, idempotency and the dead-letter queue', () => {
  const cleanup: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step()
  })

  it('a receiver failing its first 3 attempts accepts exactly one; one that always fails ends dead-lettered with an error event', async () => {
    const metrics = new MetricsEndpoint()
    const metricsUrl = await metrics.start()
    cleanup.push(() => metrics.stop())
    const receiver = new WebhookReceiver(SECRET)
    const url = await receiver.start()
    cleanup.push(() => receiver.stop())
    receiver.failFirst.set('/flaky', 3)
    receiver.failFirst.set('/down', Infinity)
    const errors = await watchTopic(TOPICS.errors)
    cleanup.push(() => errors.stop())
    const rule = uniqueName('depth')
    const service = await startAlerting(
      `version: 1
interval: 200ms
receivers:
  - { name: flaky, url: "${url}/flaky", secret: ${SECRET}, match: { namespaces: [flaky] } }
  - { name: down, url: "${url}/down", secret: ${SECRET}, match: { namespaces: [down] } }
rules:
  - { name: ${rule}, kind: threshold, expr: { gauge: { metric: depth } }, by: [namespace], op: ">", threshold: 10 }
`,
      [metricsUrl],
      { attempts: 5, baseMs: 50, maxMs: 400 },
    )
    cleanup.push(() => service.stop())
    metrics.set('depth{namespace="flaky"}', 50)
    metrics.set('depth{namespace="down"}', 50)

    await eventually(() => expect(receiver.acceptedAt('/flaky')).toHaveLength(1), 15_000)
    const flaky = receiver.attempts.filter((a) => a.path === '/flaky')
    expect(flaky.map((a) => [a.attempt, a.answered, a.verified])).toEqual([
      [1, 500, true],
      [2, 500, true],
      [3, 500, true],
      [4, 200, true],
    ])
    // One notification, one idempotency key on every attempt.
    expect(new Set(flaky.map((a) => a.id))).toEqual(new Set([receiver.acceptedAt('/flaky')[0]!.id]))

    await eventually(async () => expect(await service.queue.deadLetters()).toHaveLength(1), 15_000)
    const [letter] = await service.queue.deadLetters()
    const down = receiver.attempts.filter((a) => a.path === '/down')
    expect(down.map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5])
    expect(new Set(down.map((a) => a.id))).toEqual(new Set([letter!.data.notificationId]))
    expect(letter).toMatchObject({ attempts: 5, data: { receiver: 'down' } })
    expect(receiver.acceptedAt('/down')).toEqual([])
    await eventually(() => {
      const event = errors.events.find((e) => e.subject === letter!.data.notificationId)
      expect(event?.data).toMatchObject({ service: 'alerting', code: 'E_WEBHOOK_FAILED', operation: 'webhook' } satisfies Partial<ErrorEvent>)
    }, 10_000)
    await eventually(async () => {
      const history = await service.store.deliveries(100)
      expect(history.filter((d) => d.receiver === 'down').map((d) => d.outcome)).toEqual(['dead-lettered', 'failed', 'failed', 'failed', 'failed', 'failed'])
    }, 5_000)

    const exposed = (await service.alerting.http.inject({ method: 'GET', url: '/metrics' })).body
    expect(exposed).toContain('strata_alerting_deliveries_total{receiver="flaky",outcome="failed"} 3')
    expect(exposed).toContain('strata_alerting_deliveries_total{receiver="flaky",outcome="delivered"} 1')
    expect(exposed).toContain('strata_alerting_deliveries_total{receiver="down",outcome="failed"} 5')
    expect(exposed).toContain('strata_alerting_deliveries_total{receiver="down",outcome="dead_lettered"} 1')
    expect(exposed).toContain('strata_alerting_alerts{state="firing"} 2')

    // Nothing further arrives: the accepted one is not redelivered, the dead one is not retried.
    await sleep(1000)
    expect(receiver.attempts.filter((a) => a.path === '/flaky')).toHaveLength(4)
    expect(receiver.attempts.filter((a) => a.path === '/down')).toHaveLength(5)
    const times = receiver.attempts.filter((a) => a.path === '/down').map((a) => a.at)
    console.log(`retry gaps to the always-failing receiver (base 50 ms, cap 400 ms, equal jitter): ${times.slice(1).map((t, i) => t - times[i]!).join(', ')} ms`)
  })
})
