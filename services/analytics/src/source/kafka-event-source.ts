import { decodeEvent } from '@strata/bus'
import { ensureTopics } from '@strata/bus/kafka'
import { Kafka, logLevel, type Consumer, type EachBatchPayload, type KafkaConfig } from 'kafkajs'
import type { AnalyticsState } from '../aggregation/analytics-state.js'
import { DEFAULT_TOPICS, dispatchEvent, topicList, type AnalyticsTopics } from './event-dispatch.js'

export interface KafkaEventSourceOptions {
  brokers: readonly string[]
  /** Consumer group (Kafka-side offsets are informational: lag dashboards). */
  group: string
  topics?: AnalyticsTopics
  clientId?: string
  /** TLS, SASL and timeouts for the kafkajs client (@strata/config's kafkaClientSettings). */
  client?: Pick<KafkaConfig, 'ssl' | 'sasl' | 'connectionTimeout' | 'requestTimeout'>
  /** The stored positions (from the rollup store) per "topic\0partition": anything before them is already counted. */
  positions: Map<string, bigint>
}

/**
 * Feeds the analytics state from Kafka with kafkajs directly, not through the bus Transport: exactly-once needs the
 * consumed positions to live in PostgreSQL with the rollups, and messages before those positions to be skipped. Kafka
 * offsets are committed only after the PostgreSQL transaction (`commit`), so Kafka never gets ahead of the store;
 * whatever Kafka redelivers behind a stored position is skipped here.
 */
export class KafkaEventSource {
  private readonly consumer: Consumer
  private readonly kafka: Kafka
  private readonly topics: AnalyticsTopics
  readonly lag = new Map<string, number>()

  constructor(private readonly state: AnalyticsState, private readonly options: KafkaEventSourceOptions) {
    this.topics = options.topics ?? DEFAULT_TOPICS
    const kafka = (this.kafka = new Kafka({ ...clientOptions(options.client), clientId: options.clientId ?? 'strata-analytics', brokers: [...options.brokers], logLevel: logLevel.NOTHING }))
    this.consumer = kafka.consumer({ groupId: options.group, maxBytes: 16 * 1024 * 1024, maxWaitTimeInMs: 250, allowAutoTopicCreation: true })
  }

  async start(): Promise<void> {
    await this.ensureTopics(topicList(this.topics))
    await this.consumer.connect()
    await this.consumer.subscribe({ topics: topicList(this.topics), fromBeginning: true })
    await this.consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch: (payload) => this.eachBatch(payload) })
  }

  /** After the store has the positions: Kafka's own offsets follow (never before the store has them). */
  async commit(positions: ReadonlyArray<{ topic: string; partition: number; nextOffset: string }>): Promise<void> {
    if (positions.length === 0) return
    await this.consumer.commitOffsets(positions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.nextOffset })))
  }

  /** Subscribing to a topic nobody has published to yet must not fail: create it (racing creators are fine). */
  private async ensureTopics(topics: readonly string[]): Promise<void> {
    const admin = this.kafka.admin()
    await admin.connect()
    try {
      await ensureTopics(admin, topics)
    } finally {
      await admin.disconnect()
    }
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect()
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const batch = payload.batch
    const id = `${batch.topic}\0${batch.partition}`
    // Kafka may redeliver (a rebalance, a restart) from its committed offset, which trails both the store and us.
    const storedAt = this.options.positions.get(id) ?? -1n
    const foldedAt = this.state.position(batch.topic, batch.partition) ?? -1n
    const stored = storedAt > foldedAt ? storedAt : foldedAt
    for (const message of batch.messages) {
      if (!payload.isRunning() || payload.isStale()) return
      if (BigInt(message.offset) < stored) {
        this.state.counters.skipped++
        continue
      }
      try {
        dispatchEvent(this.state, this.topics, batch.topic, decodeEvent({ value: message.value ?? Buffer.alloc(0), headers: {} }))
      } catch {
        // A message that is not a valid event can never become one: counted, and consumed.
        this.state.counters.invalid++
      }
      this.state.advance(batch.topic, batch.partition, message.offset)
      payload.resolveOffset(message.offset)
    }
    this.lag.set(id, Math.max(0, Number(batch.highWatermark) - Number(batch.lastOffset()) - 1))
    await payload.heartbeat()
  }
}

/** Only the connection settings (a caller may pass a larger object, e.g. with its own client id and brokers). */
export function clientOptions(client: KafkaEventSourceOptions['client']): Pick<KafkaConfig, 'ssl' | 'sasl' | 'connectionTimeout' | 'requestTimeout'> {
  if (client === undefined) return {}
  const { ssl, sasl, connectionTimeout, requestTimeout } = client
  return { ...(ssl === undefined ? {} : { ssl }), ...(sasl === undefined ? {} : { sasl }), ...(connectionTimeout === undefined ? {} : { connectionTimeout }), ...(requestTimeout === undefined ? {} : { requestTimeout }) }
}
