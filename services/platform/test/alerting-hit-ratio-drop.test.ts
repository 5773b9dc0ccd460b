import { setTimeout as sleep } from 'node:timers/promises'
import { eventually, uniqueName } from '@strata/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../../gateway/test/support/harness.js'
import type { AlertEvent } from '@strata/bus'
import { SECRET, startAlerting, watchTopic, type AlertingUnderTest } from '../../alerting/test/support/harness.js'
import { WebhookReceiver } from '../../alerting/test/support/webhook-receiver.js'

const WINDOW_MS = 1000
const FOR_MS = 400
const INTERVAL_MS = 200

// The alerting service over a real gateway's /metrics: a composition of two services, so it lives in the platform.
describe('alerting acceptance 1: a hit-ratio drop from a workload change', () => {
  const cleanup: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step()
  })

  it('fires within the window, delivers one signed firing notification, and one resolved on recovery', async () => {
    const gw: TestGateway = await startGateway({ l2: 'memory', namespaces: { catalog: { ttl: 600_000 } } })
    cleanup.push(() => gw.stop())
    const gatewayUrl = await gw.app.listen({ port: 0, host: '127.0.0.1' })
    const receiver = new WebhookReceiver(SECRET)
    const receiverUrl = await receiver.start()
    cleanup.push(() => receiver.stop())
    const watch = await watchTopic()
    cleanup.push(() => watch.stop())
    const rule = uniqueName('hit-ratio')
    const service: AlertingUnderTest = await startAlerting(
      `version: 1
interval: ${INTERVAL_MS}ms
receivers:
  - { name: ops, url: "${receiverUrl}/ops", secret: ${SECRET} }
rules:
  - name: ${rule}
    template: hit-ratio-drop
    params: { namespace: catalog, below: 0.5, window: ${WINDOW_MS}ms, for: ${FOR_MS}ms }
`,
      [`${gatewayUrl}/metrics`],
    )
    cleanup.push(() => service.stop())

    for (let i = 0; i < 20; i++) {
      const put = await gw.app.inject({ method: 'PUT', url: `/v1/namespaces/catalog/keys/k${i}`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ value: i }) })
      expect(put.statusCode).toBeLessThan(300)
    }
    // The workload: real HTTP lookups against the gateway, hits on known keys until the test switches to misses.
    let mode: 'hits' | 'misses' = 'hits'
    let running = true
    const load = (async () => {
      for (let i = 0; running; i++) {
        const key = mode === 'hits' ? `k${i % 20}` : `missing-${i}`
        await fetch(`${gatewayUrl}/v1/namespaces/catalog/keys/${key}`).then((response) => response.arrayBuffer())
        if (i % 10 === 0) await sleep(5)
      }
    })()
    cleanup.push(async () => {
      running = false
      await load
    })

    await sleep(WINDOW_MS * 2)
    expect(receiver.attempts).toEqual([])
    const changedAt = Date.now()
    mode = 'misses'
    await eventually(() => expect(receiver.acceptedAt('/ops')).toHaveLength(1), 15_000)
    const [firing] = receiver.acceptedAt('/ops')
    expect(firing).toMatchObject({ version: 'strata.alerts.webhook.v1', receiver: 'ops', status: 'firing', groupKey: `alertname=${rule},namespace=catalog` })
    expect(firing!.alerts).toHaveLength(1)
    expect(firing!.alerts[0]).toMatchObject({ rule, status: 'firing', labels: { namespace: 'catalog', alertname: rule, severity: 'warning' } })
    expect(firing!.alerts[0]!.value).toBeLessThan(0.5)
    const firedAfterMs = Date.parse(firing!.alerts[0]!.firedAt!) - changedAt
    // The ratio over the window crosses 0.5 within the window, then must hold for `for`; one evaluation of slack.
    expect(firedAfterMs).toBeLessThanOrEqual(WINDOW_MS + FOR_MS + INTERVAL_MS)
    console.log(`hit-ratio alert fired ${firedAfterMs} ms after the workload change (window ${WINDOW_MS} ms, for ${FOR_MS} ms, interval ${INTERVAL_MS} ms)`)

    mode = 'hits'
    await eventually(() => expect(receiver.acceptedAt('/ops')).toHaveLength(2), 15_000)
    const resolved = receiver.acceptedAt('/ops')[1]!
    expect(resolved).toMatchObject({ status: 'resolved', alerts: [{ rule, status: 'resolved' }] })
    expect(resolved.id).not.toBe(firing!.id)

    // Nothing more is sent while the ratio stays healthy, and every request carried a valid signature.
    await sleep(WINDOW_MS)
    expect(receiver.acceptedAt('/ops')).toHaveLength(2)
    expect(receiver.attempts.map((a) => [a.verified, a.answered])).toEqual([
      [true, 200],
      [true, 200],
    ])
    const history = await service.store.deliveries(10)
    expect(history.map((d) => [d.notificationId, d.outcome]).reverse()).toEqual([
      [firing!.id, 'delivered'],
      [resolved.id, 'delivered'],
    ])
    // Every state change went over Kafka, in order.
    await eventually(() => {
      const states = watch.events.filter((e) => (e.data as AlertEvent).rule === rule).map((e) => (e.data as AlertEvent).state)
      expect(states).toEqual(['pending', 'firing', 'resolved'])
    }, 10_000)
  })
})
