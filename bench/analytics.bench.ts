import { createEvent, publishEvents, type AccessEvent } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { PostgresRollupStore, buildAnalytics } from '@strata/analytics'
import { zipfKeys } from '@strata/testkit'
import { Kafka, logLevel } from 'kafkajs'
import pg from 'pg'
import { median, printReport, round } from './lib/report.js'

// `pnpm bench analytics`: access events per second ingested by one analytics process (in this process): consume
// from real Kafka, decode and validate each batch event, fold every access into rollups (HDR histogram per tier),
// hot keys, stampede detection and the SHARDS curve, and write the rollups with their offsets to PostgreSQL.
// Side by side, alternating on the same pre-published topic: the floor, a kafkajs consumer that only counts the
// messages it fetches (no decode, no work). The clock runs from the first ingested event to the last one written.
const brokers = (process.env.STRATA_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')
const postgresUrl = process.env.STRATA_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5433/strata'
const BATCHES = Number(process.env.BENCH_BATCHES ?? 600)
const PER_BATCH = 500
const ROUNDS = 3
const TOTAL = BATCHES * PER_BATCH
const suffix = `${Date.now().toString(36)}-${process.pid}`
const topic = `bench.access.${suffix}`

const transport = new KafkaTransport({ brokers, clientId: 'bench-analytics', log: () => undefined })
const keys = zipfKeys({ items: 100_000, accesses: TOTAL, exponent: 0.9, seed: 1 })
const base = Date.now()
for (let b = 0; b < BATCHES; b += 20) {
  const events = []
  for (let i = b; i < Math.min(BATCHES, b + 20); i++) {
    const accesses: AccessEvent[] = []
    for (let j = 0; j < PER_BATCH; j++) {
      const n = i * PER_BATCH + j
      const hit = n % 5 !== 0
      accesses.push({ namespace: `ns${n % 4}`, key: `key:${keys[n]}`, operation: 'get', result: hit ? 'hit' : 'miss', tier: hit ? 'l1' : 'origin', latencyMs: hit ? 0.08 : 4.5, bytes: 700, at: base + Math.floor(n / 50) })
    }
    events.push(createEvent({ type: 'strata.access.batch.v1', source: 'bench', data: { instance: `gw${i % 3}`, accesses, dropped: 0 } }))
  }
  await publishEvents(transport, topic, events, (event) => (event.data as { instance: string }).instance)
}
const partitions = (await new Kafka({ clientId: 'bench-size', brokers, logLevel: logLevel.NOTHING }).admin().fetchTopicOffsets(topic).catch(() => [])).length
console.log(`published ${TOTAL} accesses in ${BATCHES} batch events to ${topic} (${partitions} partitions)`)

const pool = new pg.Pool({ connectionString: postgresUrl, max: 4 })
const schemas: string[] = []

async function strataRound(round: number): Promise<number> {
  const schema = `bench_analytics_${suffix.replace(/[^a-z0-9]/g, '_')}_${round}`
  schemas.push(schema)
  const analytics = buildAnalytics({
    store: new PostgresRollupStore(pool, schema),
    kafka: { brokers, group: `bench-analytics-${suffix}-${round}`, topics: { access: topic, invalidations: `${topic}.inv`, errors: `${topic}.err`, alerts: `${topic}.alerts`, warming: `${topic}.warming` } },
    flushIntervalMs: 1_000,
  })
  await analytics.start()
  let first = 0
  while (analytics.state.counters.accesses < TOTAL) {
    if (first === 0 && analytics.state.counters.accesses > 0) first = performance.now() - 1
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  await analytics.flusher.flush()
  const elapsed = performance.now() - first
  await analytics.stop()
  return TOTAL / (elapsed / 1000)
}

async function rawRound(round: number): Promise<number> {
  const consumer = new Kafka({ clientId: 'bench-raw', brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: `bench-raw-${suffix}-${round}`, maxBytes: 16 * 1024 * 1024, maxWaitTimeInMs: 250 })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  let messages = 0
  let first = 0
  let last = 0
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (first === 0) first = performance.now()
      messages += batch.messages.length
      last = performance.now()
      await Promise.resolve()
    },
  })
  while (messages < BATCHES) await new Promise((resolve) => setTimeout(resolve, 2))
  await consumer.disconnect()
  return TOTAL / ((last - first + 1) / 1000)
}

const strata: number[] = []
const raw: number[] = []
for (let round = 0; round < ROUNDS; round++) {
  raw.push(await rawRound(round))
  strata.push(await strataRound(round))
  console.log(`round ${round + 1}: strata ${Math.round(strata.at(-1)!)} events/s, kafkajs fetch-only ${Math.round(raw.at(-1)!)} events/s`)
}
for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
await pool.end()
const admin = new Kafka({ clientId: 'bench-cleanup', brokers, logLevel: logLevel.NOTHING }).admin()
await admin.connect()
await admin.deleteTopics({ topics: [topic, `${topic}.inv`, `${topic}.err`] }).catch(() => undefined)
await admin.disconnect()
await transport.close()

printReport({
  bench: 'analytics',
  metric: 'access events ingested per second by one analytics process (Kafka → rollups in PostgreSQL)',
  unit: 'events/s',
  higherIsBetter: true,
  results: { strata: Math.round(median(strata)), 'kafkajs-fetch-only': Math.round(median(raw)) },
  table: [
    { contender: 'strata analytics (decode, validate, aggregate, write)', 'events/s (median)': Math.round(median(strata)), rounds: strata.map((v) => Math.round(v)).join(' ') },
    { contender: 'kafkajs consumer, fetch only (floor)', 'events/s (median)': Math.round(median(raw)), rounds: raw.map((v) => Math.round(v)).join(' ') },
  ],
  env: { accesses: TOTAL, batchEvents: BATCHES, accessesPerEvent: PER_BATCH, target: 100_000, 'strata/target': round(median(strata) / 100_000, 2) },
})
process.exit(0)
