import { createEvent, publishEvents, type AlertEvent, type WarmEvent } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { waitUntil } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AnalyticsReport } from '../src/app.js'
import { startAnalytics, type AnalyticsHarness } from './support/analytics-harness.js'

/**
 * strata.alerts.v1 and strata.warming.v1 earn their place: analytics reads both from Kafka into its report's timeline
 * (JSON and HTML), beside the hit-ratio series an alert or a warm run explains. The topics are this test's own.
 */
describe("the report's timeline: alerts and warm runs from Kafka", () => {
  let harness: AnalyticsHarness
  let producer: KafkaTransport
  const now = Date.now()

  beforeAll(async () => {
    harness = await startAnalytics()
    producer = new KafkaTransport({ brokers: harness.brokers, clientId: 'timeline-test', log: () => undefined })
  }, 60_000)

  afterAll(async () => {
    await producer?.close()
    await harness?.stop()
  }, 30_000)

  const report = async (query = 'window=1h'): Promise<AnalyticsReport> => (await harness.analytics.http.inject({ method: 'GET', url: `/v1/report?${query}` })).json<AnalyticsReport>()

  it('an alert that fired and a warm run that finished appear in the window, newest first; a started run does not', { timeout: 60_000 }, async () => {
    const alert: AlertEvent = { alertId: 'a1', rule: 'hit-ratio-drop', state: 'firing', severity: 'warning', summary: 'Hit ratio dropped', value: 0.42, labels: { namespace: 'catalog' }, at: now - 2_000 }
    const run = { runId: 'r1', target: 'catalog-top', trigger: 'hot-keys', loaded: 40, cached: 60, failed: 1, total: 101, durationMs: 350 } as const
    await publishEvents(producer, harness.topics.alerts, [createEvent<AlertEvent>({ type: 'strata.alert.v1', source: 'strata/alerting/test', subject: 'a1', data: alert })])
    await publishEvents(producer, harness.topics.warming, [
      createEvent<WarmEvent>({ type: 'strata.warm.v1', source: 'strata/warmer/test', subject: 'catalog-top', data: { ...run, state: 'started', loaded: 0, cached: 0, failed: 0, durationMs: 0, at: now - 1_500 } }),
      createEvent<WarmEvent>({ type: 'strata.warm.v1', source: 'strata/warmer/test', subject: 'catalog-top', data: { ...run, state: 'finished', at: now - 1_000 } }),
    ])

    await waitUntil(async () => (await report()).timeline.length >= 2, 45_000)
    const { timeline, ingest } = await report()
    expect(timeline).toEqual([
      { kind: 'warm', at: now - 1_000, ...run },
      { kind: 'alert', at: now - 2_000, alertId: 'a1', rule: 'hit-ratio-drop', state: 'firing', severity: 'warning', summary: 'Hit ratio dropped', value: 0.42, labels: { namespace: 'catalog' } },
    ])
    expect(ingest).toMatchObject({ alerts: 1, warmRuns: 1 })
    // A window that ends before both holds neither.
    expect((await report(`from=${now - 3_600_000}&to=${now - 3_000}`)).timeline).toEqual([])
    const html = await harness.analytics.http.inject({ method: 'GET', url: '/v1/report.html?window=1h' })
    expect(html.body).toContain('alert hit-ratio-drop: firing')
    expect(html.body).toContain('40 loaded, 60 cached, 1 failed of 101 in 350 ms')
  })
})
