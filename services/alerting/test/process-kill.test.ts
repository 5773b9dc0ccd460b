import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { servers, eventually, uniqueName } from '@strata/testkit'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import type { AlertEvent } from '@strata/bus'
import { SECRET, watchTopic } from './support/harness.js'
import { MetricsEndpoint } from './support/metrics-endpoint.js'
import { WebhookReceiver } from './support/webhook-receiver.js'
import type { WebhookPayload } from '../src/app.js'

/** src/main.ts as its own process, with short BullMQ lock times so a killed worker's job is recovered quickly. */
async function startAlertingProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(fileURLToPath(new URL('../src/main.ts', import.meta.url)), [], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {
      ...process.env,
      STRATA_QUEUE_REDIS_URL: servers.queueRedisUrl,
      STRATA_KAFKA_BROKERS: servers.kafkaBrokers.join(','),
      STRATA_ALERTING_PORT: '0',
      STRATA_ALERTING_LOCK_MS: '1000',
      STRATA_ALERTING_STALLED_INTERVAL_MS: '500',
      STRATA_ALERTING_RETRY_ATTEMPTS: '10',
      STRATA_ALERTING_RETRY_BASE_MS: '100',
      STRATA_ALERTING_RETRY_MAX_MS: '1000',
      ...env,
    },
  })
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve())
    child.once('exit', (code) => reject(new Error(`alerting exited with ${code} before it was ready`)))
  })
  return child
}

/**
 * Error and audit topics of the test's own: main.ts runs the default dead-letter rule over the error topic, and on the
 * shared strata.errors.v1 other suites' dead letters would fire it here (a foreign notification held and killed).
 */
function isolated(): Record<string, string> {
  return { STRATA_ALERTING_ERRORS_TOPIC: uniqueName('test.errors'), STRATA_ALERTING_AUDIT_TOPIC: uniqueName('test.audit') }
}

/** The notifications about `rule` only (a second guard: nothing else should reach this receiver). */
function about(receiver: WebhookReceiver, rule: string): WebhookPayload[] {
  return receiver.acceptedAt('/ops').filter((payload) => payload.alerts.some((alert) => alert.rule === rule))
}

describe('acceptance 4: killing the alerting process while an alert fires', () => {
  const cleanup: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step()
  })

  it('loses no notification: SIGKILL mid-delivery, the next process delivers it once, then the resolved one once', async () => {
    const metrics = new MetricsEndpoint()
    const metricsUrl = await metrics.start()
    cleanup.push(() => metrics.stop())
    const receiver = new WebhookReceiver(SECRET)
    const url = await receiver.start()
    cleanup.push(() => receiver.stop())
    const rule = uniqueName('depth')
    const dir = mkdtempSync(join(tmpdir(), 'alerting-'))
    const rulesFile = join(dir, 'rules.yaml')
    writeFileSync(
      rulesFile,
      `version: 1
interval: 200ms
receivers:
  - { name: ops, url: "${url}/ops", secret: ${SECRET}, timeout: 30s }
rules:
  - { name: ${rule}, kind: threshold, expr: { gauge: { metric: depth } }, op: ">", threshold: 10, for: 400ms }
`,
    )
    const env = { ...isolated(), STRATA_ALERTING_RULES: rulesFile, STRATA_ALERTING_SCRAPE: metricsUrl, STRATA_PREFIX: uniqueName('alerting'), STRATA_ALERTING_QUEUE: uniqueName('webhooks') }
    const children: ChildProcess[] = []
    cleanup.push(async () => {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await sleep(200)
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    const first = await startAlertingProcess(env)
    children.push(first)

    // The receiver holds the first delivery open; the moment it arrives, the process delivering it is killed.
    receiver.hangNext.add('/ops')
    let killedAt = 0
    receiver.onRequest = () => {
      if (killedAt === 0) {
        killedAt = Date.now()
        first.kill('SIGKILL')
      }
    }
    metrics.set('depth', 50)
    await eventually(() => expect(first.signalCode).toBe('SIGKILL'), 15_000)
    const hung = receiver.attempts[0]!
    expect(about(receiver, rule)).toEqual([])

    const second = await startAlertingProcess(env)
    children.push(second)
    await eventually(() => expect(about(receiver, rule)).toHaveLength(1), 20_000)
    const [firing] = about(receiver, rule)
    expect(firing).toMatchObject({ id: hung.id, status: 'firing', alerts: [{ rule, status: 'firing' }] })
    console.log(`firing notification delivered ${Date.now() - killedAt} ms after the SIGKILL (lock 1,000 ms, stalled check 500 ms)`)

    // The second process knows the alert is firing and announced: no repeat, and its recovery is announced once.
    await sleep(1000)
    expect(about(receiver, rule)).toHaveLength(1)
    metrics.set('depth', 1)
    await eventually(() => expect(about(receiver, rule).map((p) => p.status)).toEqual(['firing', 'resolved']), 15_000)
    await sleep(1000)
    expect(about(receiver, rule)).toHaveLength(2)
    expect(receiver.attempts.every((a) => a.verified)).toBe(true)
    // Two process starts, a kill, a lock expiry and two deliveries: about 19 s alone, past 30 s on a loaded machine.
  }, 60_000)

  it('loses no notification and sends none twice when killed the moment the alert turns firing', async () => {
    const metrics = new MetricsEndpoint()
    const metricsUrl = await metrics.start()
    cleanup.push(() => metrics.stop())
    const receiver = new WebhookReceiver(SECRET)
    const url = await receiver.start()
    cleanup.push(() => receiver.stop())
    const watch = await watchTopic()
    cleanup.push(() => watch.stop())
    const rule = uniqueName('depth')
    const dir = mkdtempSync(join(tmpdir(), 'alerting-'))
    const rulesFile = join(dir, 'rules.yaml')
    writeFileSync(
      rulesFile,
      `version: 1
interval: 200ms
receivers:
  - { name: ops, url: "${url}/ops", secret: ${SECRET} }
rules:
  - { name: ${rule}, kind: threshold, expr: { gauge: { metric: depth } }, op: ">", threshold: 10, for: 400ms }
`,
    )
    const env = { ...isolated(), STRATA_ALERTING_RULES: rulesFile, STRATA_ALERTING_SCRAPE: metricsUrl, STRATA_PREFIX: uniqueName('alerting'), STRATA_ALERTING_QUEUE: uniqueName('webhooks') }
    const children: ChildProcess[] = []
    cleanup.push(async () => {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await sleep(100)
    })
    const first = await startAlertingProcess(env)
    children.push(first)
    metrics.set('depth', 50)
    // The firing event is published right after the commit, before or while the outbox goes to the queue.
    await eventually(() => expect(watch.events.some((e) => (e.data as AlertEvent).rule === rule && (e.data as AlertEvent).state === 'firing')).toBe(true), 15_000)
    first.kill('SIGKILL')
    const delivered = about(receiver, rule).length

    const second = await startAlertingProcess(env)
    children.push(second)
    await eventually(() => expect(about(receiver, rule)).toHaveLength(1), 20_000)
    console.log(`killed at the firing transition; the receiver had ${delivered} delivery before the kill`)
    await sleep(1500)
    expect(about(receiver, rule).map((p) => p.status)).toEqual(['firing'])
    const ids = new Set(about(receiver, rule).map((payload) => payload.id))
    expect(new Set(receiver.attempts.filter((a) => ids.has(a.id)).map((a) => a.id)).size).toBe(1)
  })
})
