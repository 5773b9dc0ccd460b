import { setTimeout as sleep } from 'node:timers/promises'
import { eventually, uniqueName } from '@strata/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { SECRET, startAlerting } from './support/harness.js'
import { MetricsEndpoint } from './support/metrics-endpoint.js'
import { WebhookReceiver } from './support/webhook-receiver.js'

describe('acceptance 3: silences and deduplication', () => {
  const cleanup: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step()
  })

  async function setup(rule: string) {
    const metrics = new MetricsEndpoint()
    const metricsUrl = await metrics.start()
    cleanup.push(() => metrics.stop())
    const receiver = new WebhookReceiver(SECRET)
    const url = await receiver.start()
    cleanup.push(() => receiver.stop())
    const service = await startAlerting(
      `version: 1
interval: 200ms
receivers:
  - { name: ops, url: "${url}/ops", secret: ${SECRET} }
rules:
  - { name: ${rule}, kind: threshold, expr: { gauge: { metric: depth } }, by: [namespace], op: ">", threshold: 10, groupBy: [alertname] }
`,
      [metricsUrl],
    )
    cleanup.push(() => service.stop())
    return { metrics, receiver, service, http: service.alerting.http }
  }

  it('a silence suppresses deliveries until it expires; two alerts of one group go out once, together, and are not resent', async () => {
    const rule = uniqueName('depth')
    const { metrics, receiver, service, http } = await setup(rule)
    const created = await http.inject({ method: 'POST', url: '/silences', payload: { matchers: { alertname: rule }, duration: '1500ms', comment: 'deploy', createdBy: 'test' } })
    expect(created.statusCode).toBe(201)
    const silence = created.json<{ id: string; endsAt: number }>()
    metrics.set('depth{namespace="a"}', 50)
    metrics.set('depth{namespace="b"}', 70)

    await eventually(() => expect(service.alerting.engine.listAlerts().filter((a) => a.state === 'firing')).toHaveLength(2), 5_000)
    expect((await http.inject({ method: 'GET', url: '/silences' })).json<{ silences: unknown[] }>().silences).toHaveLength(1)
    await sleep(Math.max(0, silence.endsAt - Date.now() - 200))
    expect(receiver.attempts).toEqual([])

    await eventually(() => expect(receiver.acceptedAt('/ops')).toHaveLength(1), 5_000)
    const [notification] = receiver.acceptedAt('/ops')
    expect(Date.parse(notification!.createdAt)).toBeGreaterThanOrEqual(silence.endsAt)
    expect(notification!.groupKey).toBe(`alertname=${rule}`)
    expect(notification!.alerts.map((a) => a.labels.namespace).sort()).toEqual(['a', 'b'])

    // Still firing, evaluated every 200 ms, values changing: nothing is resent.
    metrics.set('depth{namespace="a"}', 55)
    await sleep(1200)
    expect(receiver.attempts).toHaveLength(1)
    expect((await http.inject({ method: 'GET', url: '/silences' })).json<{ silences: unknown[] }>().silences).toEqual([])
  })

  it('answers bad rules and silences with problem+json and changes nothing', async () => {
    const rule = uniqueName('depth')
    const { http, metrics, receiver } = await setup(rule)
    const badSilence = await http.inject({ method: 'POST', url: '/silences', payload: { matchers: {}, duration: '1m', comment: 'x', createdBy: 'y' } })
    expect(badSilence.statusCode).toBe(400)
    expect(badSilence.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(badSilence.json()).toMatchObject({ code: 'E_INVALID_REQUEST' })
    const missing = await http.inject({ method: 'DELETE', url: '/silences/nope' })
    expect([missing.statusCode, missing.json<{ code: string }>().code]).toEqual([404, 'E_SILENCE_NOT_FOUND'])
    const badRule = await http.inject({ method: 'POST', url: '/rules', payload: { name: 'x', kind: 'threshold', expr: { gauge: { metric: 'depth' } }, op: '>' } })
    expect([badRule.statusCode, badRule.json<{ code: string; detail: string }>()]).toEqual([400, expect.objectContaining({ code: 'E_ALERT_RULE_INVALID', detail: "a threshold rule needs 'threshold'" })])
    const fileRule = await http.inject({ method: 'POST', url: '/rules', payload: { name: rule, template: 'dead-letters' } })
    expect(fileRule.json<{ code: string }>().code).toBe('E_ALERT_RULE_INVALID')
    expect((await http.inject({ method: 'GET', url: '/rules' })).json<{ rules: Array<{ name: string }> }>().rules.map((r) => r.name)).toEqual([rule])
    const unknownRule = await http.inject({ method: 'DELETE', url: '/rules/nope' })
    expect([unknownRule.statusCode, unknownRule.json<{ code: string }>().code]).toEqual([404, 'E_ALERT_RULE_NOT_FOUND'])

    // A rule added over the API is evaluated like a file rule.
    const added = await http.inject({ method: 'POST', url: '/rules', payload: { name: `${rule}-api`, kind: 'threshold', expr: { gauge: { metric: 'other' } }, op: '>', threshold: 1 } })
    expect(added.statusCode).toBe(201)
    metrics.set('other', 5)
    await eventually(() => expect(receiver.acceptedAt('/ops').map((p) => p.alerts[0]!.rule)).toEqual([`${rule}-api`]), 5_000)
    expect((await http.inject({ method: 'DELETE', url: `/rules/${rule}-api` })).statusCode).toBe(204)
  })
})
