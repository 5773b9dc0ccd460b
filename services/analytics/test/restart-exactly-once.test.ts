import { createEvent, publishEvents, type AccessEvent, type EventEnvelope } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { ServiceProcess, freePort, requireKafka, requirePostgres, uniqueName, waitUntil } from '@strata/testkit'
import { Kafka, logLevel } from 'kafkajs'
import pg from 'pg'
import type { AnalyticsReport } from '../src/app.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const BATCHES = 300
const PER_BATCH = 40
const ERRORS = 60
const INVALIDATIONS = 45

/**
 * Acceptance (issue 8): rollups survive killing the analytics consumer. The real main.ts runs as a child process and
 * is SIGKILLed while events keep arriving; a second one resumes. Every count in PostgreSQL (minute, hour and day
 * rows) must equal what was published: nothing counted twice, nothing lost.
 */
describe('analytics rollups across a kill -9 of the consumer', () => {
  const schema = uniqueName('analytics').replace(/[^a-z0-9]/g, '_')
  const topics = {
    access: uniqueName('test.access'),
    invalidations: uniqueName('test.invalidations'),
    errors: uniqueName('test.errors'),
    alerts: uniqueName('test.alerts'),
    warming: uniqueName('test.warming'),
  }
  const group = uniqueName('analytics')
  let brokers: string[]
  let pool: pg.Pool
  let transport: KafkaTransport
  let env: Record<string, string>
  let running: ServiceProcess | undefined
  // One free port for both runs (the restarted consumer answers where the first did).
  let port: number

  beforeAll(async () => {
    brokers = await requireKafka()
    const postgresUrl = await requirePostgres()
    port = await freePort()
    pool = new pg.Pool({ connectionString: postgresUrl, max: 2 })
    transport = new KafkaTransport({ brokers, clientId: 'restart-test', log: () => undefined })
    env = {
      OTEL_SDK_DISABLED: 'true',
      // Auth is covered by http-auth.test.ts; this suite is about rollups.
      STRATA_ANALYTICS_AUTH: 'off',
      LOG_LEVEL: 'warn',
      STRATA_KAFKA_BROKERS: brokers.join(','),
      STRATA_POSTGRES_URL: postgresUrl,
      STRATA_ANALYTICS_SCHEMA: schema,
      STRATA_ANALYTICS_GROUP: group,
      STRATA_ANALYTICS_ACCESS_TOPIC: topics.access,
      STRATA_ANALYTICS_INVALIDATIONS_TOPIC: topics.invalidations,
      STRATA_ANALYTICS_ERRORS_TOPIC: topics.errors,
      STRATA_ANALYTICS_ALERTS_TOPIC: topics.alerts,
      STRATA_ANALYTICS_WARMING_TOPIC: topics.warming,
      STRATA_ANALYTICS_FLUSH_MS: '150',
      STRATA_ANALYTICS_PORT: String(port),
    }
  })

  afterAll(async () => {
    await running?.stop()
    await transport?.close()
    await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await pool?.end()
  })

  const start = async (): Promise<ServiceProcess> => {
    const service = ServiceProcess.start('analytics', env)
    await waitUntil(async () => {
      if (service.exited) throw new Error(`analytics exited:\n${service.output.join('')}`)
      return (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.ok === true
    }, 60_000)
    return service
  }

  const totals = async () => {
    const one = async (sql: string) => (await pool.query<{ g: string; n: string | null }>(sql)).rows.map((row) => `${row.g}:${Number(row.n ?? 0)}`).sort()
    const exists = await pool.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = $1`, [schema])
    if (exists.rowCount === 0) return { access: [], errors: [], invalidations: [] }
    return {
      access: await one(`SELECT granularity AS g, sum(samples) AS n FROM ${schema}.access_rollups GROUP BY 1`),
      errors: await one(`SELECT granularity AS g, sum(count) AS n FROM ${schema}.error_rollups GROUP BY 1`),
      invalidations: await one(`SELECT granularity AS g, sum(count) AS n FROM ${schema}.invalidation_rollups GROUP BY 1`),
    }
  }
  const skipped = async () => Number(/strata_analytics_ingested_total\{kind="skipped"\} (\d+)/.exec(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())?.[1] ?? 0)
  const minuteAccesses = async () => Number((await totals()).access.find((entry) => entry.startsWith('minute:'))?.split(':')[1] ?? 0)

  it('counts every published event exactly once after a crash and a restart', async () => {
    running = await start()
    const now = Date.now()
    const access = (i: number, j: number): AccessEvent => ({ namespace: 'orders', key: `k${(i * 7 + j) % 500}`, operation: 'get', result: j % 4 === 0 ? 'miss' : 'hit', tier: j % 4 === 0 ? 'origin' : 'l1', latencyMs: 0.2 + (j % 10) / 10, at: now })
    const publishing = (async () => {
      for (let i = 0; i < BATCHES; i++) {
        const events: EventEnvelope[] = [createEvent({ type: 'strata.access.batch.v1', source: 'test', data: { instance: 'gw-test', accesses: Array.from({ length: PER_BATCH }, (_, j) => access(i, j)), dropped: 0 } })]
        await publishEvents(transport, topics.access, events, () => 'gw-test')
        if (i < ERRORS) await publishEvents(transport, topics.errors, [createEvent({ type: 'strata.error.v1', source: 'test', data: { service: 'gateway', code: 'E_ORIGIN_TIMEOUT', message: 'slow', namespace: 'orders', at: now } })])
        if (i < INVALIDATIONS) await publishEvents(transport, topics.invalidations, [createEvent({ type: 'strata.invalidation.v1', source: 'test', data: { origin: 'inv', namespace: 'orders', kind: 'keys', keys: ['a', 'b'], at: now } })])
        if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 20))
      }
    })()

    // Kill while events are still coming in and some have been rolled up.
    await waitUntil(async () => (await minuteAccesses()) > 0, 60_000)
    await running.kill()
    const atKill = await minuteAccesses()
    await publishing
    expect(atKill).toBeLessThan(BATCHES * PER_BATCH)

    running = await start()
    const expected = {
      access: ['day', 'hour', 'minute'].map((g) => `${g}:${BATCHES * PER_BATCH}`),
      errors: ['day', 'hour', 'minute'].map((g) => `${g}:${ERRORS}`),
      invalidations: ['day', 'hour', 'minute'].map((g) => `${g}:${INVALIDATIONS}`),
    }
    await waitUntil(async () => JSON.stringify(await totals()) === JSON.stringify(expected), 60_000)
    // And it stays there: a late duplicate would show up within a few flush intervals.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    expect(await totals()).toEqual(expected)

    // Kafka's own offsets behind the store (a crash between the PostgreSQL commit and the Kafka commit, or offsets
    // expired): everything is redelivered, and skipped.
    await running.stop()
    const admin = new Kafka({ clientId: 'restart-test-admin', brokers, logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    for (const topic of Object.values(topics)) await admin.resetOffsets({ groupId: group, topic, earliest: true })
    await admin.disconnect()
    running = await start()
    const messages = BATCHES + ERRORS + INVALIDATIONS
    await waitUntil(async () => (await skipped()) >= messages, 60_000)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(await totals()).toEqual(expected)

    // The hot-key sketch is stored with the rollups too: 500 distinct keys fit its 1024 counters, so after two
    // restarts its counts must be exact.
    const truth = new Map<string, number>()
    for (let i = 0; i < BATCHES; i++) for (let j = 0; j < PER_BATCH; j++) truth.set(`k${(i * 7 + j) % 500}`, (truth.get(`k${(i * 7 + j) % 500}`) ?? 0) + 1)
    const report = (await (await fetch(`http://127.0.0.1:${port}/v1/report?window=1h&namespace=orders`)).json()) as AnalyticsReport
    const hotKeys = report.namespaces[0]!.hotKeys
    expect(hotKeys).toHaveLength(20)
    for (const hit of hotKeys) expect({ key: hit.key, count: hit.count, error: hit.error }).toEqual({ key: hit.key, count: truth.get(hit.key), error: 0 })

    const hits = await pool.query<{ hits: number; misses: number }>(`SELECT sum(hits) AS hits, sum(misses) AS misses FROM ${schema}.access_rollups WHERE granularity = 'minute'`)
    expect(Number(hits.rows[0]!.hits)).toBe((BATCHES * PER_BATCH * 3) / 4)
    expect(Number(hits.rows[0]!.misses)).toBe((BATCHES * PER_BATCH) / 4)
  }, 180_000)
})
