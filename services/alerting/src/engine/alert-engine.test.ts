import { MemoryJobQueue, type Job } from '@strata/queue'
import { afterEach, describe, expect, it } from 'vitest'
import type { DeliveryJob, WebhookPayload } from '../delivery/webhook-payload.js'
import type { MetricSample, MetricSource } from '../metrics/metric-source.js'
import { compileRule, expandRule, type Receiver } from '@strata/config'
import { MemoryAlertStore } from '../store/memory-alert-store.js'
import { AlertEngine, type AlertTransition } from './alert-engine.js'

/** A MetricSource whose series the test sets: the port's in-process adapter. */
class SetSource implements MetricSource {
  readonly name = 'set'
  samples: MetricSample[] = []
  collect(): Promise<MetricSample[]> {
    return Promise.resolve(this.samples)
  }
}

const receiver: Receiver = { name: 'ops', url: 'http://127.0.0.1:9/', secret: 'x'.repeat(16), format: 'strata', namespaces: undefined, severities: undefined, timeoutMs: 1000 }

describe('AlertEngine', () => {
  const queues: Array<MemoryJobQueue<DeliveryJob>> = []
  afterEach(async () => {
    for (const queue of queues.splice(0)) await queue.close()
  })

  async function setup(rules: unknown[], receivers: Receiver[] = [receiver]) {
    const source = new SetSource()
    const store = new MemoryAlertStore()
    const queue = new MemoryJobQueue<DeliveryJob>('deliveries')
    queues.push(queue)
    const jobs: Array<Job<DeliveryJob>> = []
    queue.process((batch) => {
      jobs.push(...batch)
      return Promise.resolve()
    })
    const transitions: AlertTransition[] = []
    let time = 1_000_000
    const engine = new AlertEngine({
      sources: [source],
      store,
      receivers,
      deliveries: queue,
      onTransitions: (t) => {
        transitions.push(...t)
        return Promise.resolve()
      },
      clock: () => time,
    })
    await engine.start(rules.map((rule) => compileRule(expandRule(rule), 'test')))
    const step = async (ms: number, samples: MetricSample[]) => {
      time += ms
      source.samples = samples
      await engine.tick()
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    return { engine, store, jobs, transitions, step, payloads: () => jobs.map((job) => JSON.parse(job.data.body) as WebhookPayload) }
  }

  const gauge = (value: number, labels: Record<string, string> = { namespace: 'a' }): MetricSample[] => [{ name: 'queue_depth', labels, value }]
  const threshold = { name: 'deep', kind: 'threshold', expr: { gauge: { metric: 'queue_depth' } }, by: ['namespace'], op: '>', threshold: 10, for: '1s' }

  it('goes pending, then firing after `for`, then resolved, with one notification each for firing and resolved', async () => {
    const { step, transitions, payloads, engine } = await setup([threshold])
    await step(100, gauge(50))
    expect(transitions.map((t) => t.alert.state)).toEqual(['pending'])
    await step(500, gauge(50))
    expect(payloads()).toHaveLength(0)
    await step(600, gauge(50))
    expect(transitions.map((t) => t.alert.state)).toEqual(['pending', 'firing'])
    await step(200, gauge(60))
    await step(200, gauge(70))
    expect(payloads().map((p) => p.status)).toEqual(['firing'])
    await step(200, gauge(1))
    expect(transitions.map((t) => t.alert.state)).toEqual(['pending', 'firing', 'resolved'])
    expect(payloads().map((p) => [p.status, p.alerts[0]!.labels.namespace])).toEqual([['firing', 'a'], ['resolved', 'a']])
    expect(engine.listAlerts()).toEqual([])
  })

  it('renders the summary template with the value of the last evaluation (never a literal {{value}})', async () => {
    const { step, payloads, engine } = await setup([{ ...threshold, for: '0s', summary: '{{namespace}} queue is {{value}} deep (> {{threshold}})' }])
    await step(100, gauge(50))
    expect(payloads()[0]!.alerts[0]!.summary).toBe('a queue is 50 deep (> 10)')
    await step(200, gauge(64))
    expect(engine.listAlerts()[0]!.summary).toBe('a queue is 64 deep (> 10)')
  })

  it('drops a pending alert whose condition ends before `for` without any notification', async () => {
    const { step, transitions, payloads } = await setup([threshold])
    await step(100, gauge(50))
    await step(100, gauge(5))
    await step(2000, gauge(5))
    expect(transitions.map((t) => t.alert.state)).toEqual(['pending'])
    expect(payloads()).toEqual([])
  })

  it('groups alerts of one group into one notification and routes by namespace and severity', async () => {
    const catalogOnly: Receiver = { ...receiver, name: 'catalog', namespaces: ['catalog'] }
    const criticalOnly: Receiver = { ...receiver, name: 'pager', severities: ['critical'] }
    const { step, payloads } = await setup([{ ...threshold, for: 0, groupBy: ['alertname'] }], [catalogOnly, criticalOnly, receiver])
    await step(100, [...gauge(50, { namespace: 'catalog' }), ...gauge(60, { namespace: 'users' })])
    const sent = payloads().map((p) => [p.receiver, p.alerts.map((a) => a.labels.namespace).sort()])
    expect(sent.sort()).toEqual([['catalog', ['catalog']], ['ops', ['catalog', 'users']]])
  })

  it('fires the consumer-lag and memory-near-limit templates on the series analytics and every service expose', async () => {
    const { step, transitions } = await setup([
      { name: 'lag', template: 'consumer-lag', params: { above: 1000, for: '0s' } },
      { name: 'mem', template: 'memory-near-limit', params: { limitBytes: 1000, for: '0s' } },
    ])
    const lag = (group: string, value: number): MetricSample => ({ name: 'strata_resource_value', labels: { probe: 'kafka', kind: 'kafka-lag', metric: group }, value })
    const rss = (value: number): MetricSample => ({ name: 'process_resident_memory_bytes', labels: {}, value })
    // A Redis reading on the same metric name is not a consumer group.
    const redis: MetricSample = { name: 'strata_resource_value', labels: { probe: 'redis', kind: 'redis', metric: 'used_memory' }, value: 5_000_000 }
    await step(100, [lag('strata.invalidator', 10), lag('strata.analytics', 20), rss(800), redis])
    expect(transitions).toEqual([])
    await step(100, [lag('strata.invalidator', 5000), lag('strata.analytics', 20), rss(950), redis])
    const firing = transitions.filter((t) => t.alert.state === 'firing').map((t) => [t.alert.rule, t.alert.labels.metric ?? '-'])
    expect(firing.sort()).toEqual([['lag', 'strata.invalidator'], ['mem', '-']])
  })

  it('fires rate-of-change, absence and anomaly rules', async () => {
    const { step, transitions } = await setup([
      { name: 'jump', kind: 'rate_of_change', expr: { gauge: { metric: 'queue_depth' } }, over: '1s', op: '>', threshold: 100 },
      { name: 'gone', kind: 'absence', expr: { gauge: { metric: 'heartbeat' } }, for: '500ms' },
      { name: 'odd', kind: 'anomaly', expr: { gauge: { metric: 'queue_depth' } }, baseline: '10s', k: 3, minSamples: 5 },
    ])
    const heartbeat: MetricSample = { name: 'heartbeat', labels: {}, value: 1 }
    for (const value of [10, 11, 9, 10, 11, 10]) await step(500, [...gauge(value), heartbeat])
    expect(transitions).toEqual([])
    await step(500, gauge(500))
    const states = () => transitions.map((t) => `${t.alert.rule}:${t.alert.state}`).sort()
    // No `for` on jump and odd: pending and firing in the same evaluation; gone waits its 500 ms.
    expect(states()).toEqual(['gone:pending', 'jump:firing', 'jump:pending', 'odd:firing', 'odd:pending'])
    await step(600, gauge(500))
    expect(states()).toEqual(['gone:firing', 'gone:pending', 'jump:firing', 'jump:pending', 'odd:firing', 'odd:pending'])
  })

  it('does not resend an alert already announced, and sends to a silenced alert only after the silence expires', async () => {
    const { step, payloads, store } = await setup([{ ...threshold, for: 0 }])
    await store.putSilence({ id: 's1', matchers: { alertname: 'deep' }, startsAt: 0, endsAt: 1_000_000 + 1_000, comment: 'deploy', createdBy: 'test' })
    await step(100, gauge(50))
    await step(400, gauge(50))
    expect(payloads()).toEqual([])
    await step(600, gauge(50))
    await step(100, gauge(50))
    expect(payloads().map((p) => p.status)).toEqual(['firing'])
  })

  it('a crash between the commit and the enqueue loses nothing: the next engine drains the outbox, once, and does not re-announce', async () => {
    const store = new MemoryAlertStore()
    const source = new SetSource()
    source.samples = gauge(50)
    const queue = new MemoryJobQueue<DeliveryJob>('deliveries')
    queues.push(queue)
    let crash = true
    const crashing = Object.create(queue) as MemoryJobQueue<DeliveryJob>
    crashing.addBulk = (items) => (crash ? Promise.reject(new Error('killed before the enqueue')) : queue.addBulk(items))
    const deps = { sources: [source], store, receivers: [receiver], onTransitions: () => Promise.resolve(), clock: () => 1_000_000 }
    const rules = [compileRule(expandRule({ ...threshold, for: 0 }), 'test')]
    const first = new AlertEngine({ ...deps, deliveries: crashing })
    await first.start(rules)
    await expect(first.tick()).rejects.toThrow('killed before the enqueue')
    expect(await store.outbox()).toHaveLength(1)
    expect(await queue.counts()).toMatchObject({ waiting: 0 })

    crash = false
    const second = new AlertEngine({ ...deps, deliveries: crashing })
    await second.start(rules)
    expect(await store.outbox()).toEqual([])
    expect((await queue.counts()).waiting).toBe(1)
    await second.tick()
    await second.tick()
    expect((await queue.counts()).waiting).toBe(1)
  })

  it('an increase rule fires on a partial window right after a start, and resolves only once its window is full', async () => {
    const { transitions, step } = await setup([{ name: 'dead', template: 'error-dead-letters', params: { window: '2s' } }])
    const errors = (count: number): MetricSample[] => [{ name: 'strata_error_events_total', labels: { service: 'invalidator', code: 'E_EVENT_INVALID', operation: 'invalidate', dead_letter: 'true' }, value: count }]
    await step(200, errors(0))
    await step(200, errors(1))
    // 400 ms into a 2 s window: one dead letter is already more than none.
    expect(transitions.map((t) => [t.alert.state, t.alert.value])).toEqual([
      ['pending', 1],
      ['firing', 1],
    ])
    // Nothing new: still inside the window, and while it is partial nothing resolves.
    for (let i = 0; i < 5; i++) await step(200, errors(1))
    expect(transitions).toHaveLength(2)
    // The window full and past the dead letter: resolved.
    for (let i = 0; i < 12; i++) await step(200, errors(1))
    expect(transitions.map((t) => t.alert.state)).toEqual(['pending', 'firing', 'resolved'])
  })

  it('a partial window never fires a falling ratio or a rate (they are not lower bounds)', async () => {
    const { transitions, step } = await setup([{ name: 'ratio', template: 'hit-ratio-drop', params: { below: 0.5, window: '2s', for: '0s' } }, { name: 'fast', template: 'error-events', params: { perSecond: 0.1, window: '2s' } }])
    const samples = (hits: number, misses: number, errors: number): MetricSample[] => [
      { name: 'strata_cache_requests_total', labels: { namespace: 'a', result: 'hit' }, value: hits },
      { name: 'strata_cache_requests_total', labels: { namespace: 'a', result: 'miss' }, value: misses },
      { name: 'strata_error_events_total', labels: { service: 'warmer', code: 'E_WARM_FAILED', operation: 'warm', dead_letter: 'false' }, value: errors },
    ]
    await step(200, samples(0, 0, 0))
    await step(200, samples(0, 100, 50))
    expect(transitions).toEqual([])
  })

  it('after a restart, a firing alert on a windowed rule is neither resolved nor re-announced while the window refills', async () => {

    const store = new MemoryAlertStore()
    const source = new SetSource()
    const queue = new MemoryJobQueue<DeliveryJob>('deliveries')
    queues.push(queue)
    let time = 1_000_000
    const deps = { sources: [source], store, receivers: [receiver], deliveries: queue, clock: () => time }
    const rules = [compileRule(expandRule({ name: 'ratio', template: 'hit-ratio-drop', params: { below: 0.5, window: '1s', for: '0s' } }), 'test')]
    const states: string[] = []
    const onTransitions = (t: AlertTransition[]) => {
      states.push(...t.map((x) => x.alert.state))
      return Promise.resolve()
    }
    const first = new AlertEngine({ ...deps, onTransitions })
    await first.start(rules)
    let hits = 0
    let misses = 0
    const tick = async (engine: AlertEngine, dh: number, dm: number) => {
      hits += dh
      misses += dm
      time += 200
      source.samples = [
        { name: 'strata_cache_requests_total', labels: { namespace: 'a', tier: 'l1', result: 'hit' }, value: hits },
        { name: 'strata_cache_requests_total', labels: { namespace: 'a', tier: 'none', result: 'miss' }, value: misses },
      ]
      await engine.tick()
    }
    for (let i = 0; i < 6; i++) await tick(first, 100, 0)
    for (let i = 0; i < 6; i++) await tick(first, 0, 100)
    expect(states).toEqual(['pending', 'firing'])
    expect((await queue.counts()).waiting).toBe(1)

    const second = new AlertEngine({ ...deps, onTransitions })
    await second.start(rules)
    for (let i = 0; i < 10; i++) await tick(second, 0, 100)
    expect(states).toEqual(['pending', 'firing'])
    expect(second.listAlerts().map((a) => a.state)).toEqual(['firing'])
    expect((await queue.counts()).waiting).toBe(1)
    for (let i = 0; i < 10; i++) await tick(second, 100, 0)
    expect(states).toEqual(['pending', 'firing', 'resolved'])
  })
})
