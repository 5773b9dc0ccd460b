import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { decodeEvent, type TableChangeEvent } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { requireKafka, requirePostgres, servers, uniqueName } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CaptureFixture } from './support/capture-fixture.js'

// Acceptance 2 of issue 7: the capture process is killed (SIGKILL: no shutdown hook runs) during a stream of updates
// and started again; every committed update still reaches Kafka. The slot is confirmed only after Kafka acknowledged,
// so the restart resumes from the last published transaction.
describe('capture process killed and restarted mid-stream', () => {
  const fixture = new CaptureFixture(servers.postgresUrl)
  let brokers: string[]
  let transport: KafkaTransport
  const children = new Set<ChildProcess>()
  const byLsn = new Map<string, TableChangeEvent>()
  let received = 0

  beforeAll(async () => {
    await requirePostgres()
    brokers = await requireKafka()
    await fixture.create(50)
    transport = new KafkaTransport({ brokers, clientId: 'cdc-restart-test', log: () => undefined })
    await transport.subscribe(fixture.topic, { group: uniqueName('cdc-count'), startFrom: 'earliest' }, (message) => {
      const event = decodeEvent(message)
      received++
      byLsn.set((event.data as TableChangeEvent).lsn, event.data as TableChangeEvent)
      return Promise.resolve()
    })
  }, 120_000)

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL')
    await transport?.close()
    await fixture.drop()
  })

  const addresses = new WeakMap<ChildProcess, string>()
  const startCapture = async (): Promise<ChildProcess> => {
    const child = fork(fileURLToPath(new URL('../src/main.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      env: {
        ...process.env,
        STRATA_POSTGRES_URL: fixture.url,
        STRATA_KAFKA_BROKERS: brokers.join(','),
        STRATA_CDC_SLOT: fixture.slot,
        STRATA_CDC_PUBLICATION: fixture.publication,
        STRATA_CDC_TABLES: fixture.table,
        STRATA_CDC_TOPIC: fixture.topic,
        STRATA_CDC_PORT: '0',
        STRATA_CDC_AUTH: 'off',
      },
    })
    children.add(child)
    child.once('exit', () => children.delete(child))
    child.on('message', (message: { address?: string }) => {
      if (message.address !== undefined) addresses.set(child, message.address)
    })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('capture did not start within 60 s')), 60_000)
      let out = ''
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (out.includes('"cdc started"')) {
          clearTimeout(timer)
          resolve()
        }
      })
      child.once('exit', (code) => reject(new Error(`capture exited with ${code}: ${out}`)))
    })
    return child
  }

  it('misses no committed update across a SIGKILL and restart', async () => {
    const first = await startCapture()
    const total = 400
    const killAt = 150
    let restarted: Promise<ChildProcess> | undefined
    for (let i = 1; i <= total; i++) {
      // One autocommit UPDATE per iteration: each is its own transaction with its own commit LSN.
      await fixture.pool.query(`UPDATE ${fixture.table} SET balance = balance + 1 WHERE id = $1`, [(i % 50) + 1])
      if (i === killAt) {
        first.kill('SIGKILL')
        // Updates keep coming while no capture runs; the new one starts meanwhile.
        restarted = startCapture()
      }
    }
    const second = await restarted!
    const deadline = Date.now() + 60_000
    while (byLsn.size < total && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))

    const updates = [...byLsn.values()].reduce((sum, event) => sum + event.updates, 0)
    console.log(`capture restart: ${total} updates committed, ${byLsn.size} distinct transactions on Kafka (${updates} row updates), ${received} events received (${received - byLsn.size} replayed after the kill)`)
    expect(byLsn.size).toBe(total)
    expect(updates).toBe(total)
    const balances = await fixture.pool.query<{ sum: string }>(`SELECT sum(balance)::text AS sum FROM ${fixture.table}`)
    expect(Number(balances.rows[0]!.sum)).toBe(total)

    // The restarted capture reports itself ready and counts what it published since it started.
    const url = addresses.get(second)!
    expect(await (await fetch(`${url}/health/ready`)).json()).toEqual({ status: 'ready', checks: { streaming: { status: 'up' }, bus: { status: 'up' } } })
    const metrics = await (await fetch(`${url}/metrics`)).text()
    expect(metrics).toContain('strata_cdc_streaming 1')
    expect(Number(/^strata_cdc_transactions_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(total - killAt)
    expect(metrics).toMatch(/^strata_cdc_slot_lag_bytes \d+/m)
    second.kill('SIGTERM')
    await new Promise((resolve) => second.once('exit', resolve))
  }, 180_000)
})
