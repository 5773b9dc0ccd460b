import { Kafka, logLevel, type Admin } from 'kafkajs'
import { clientOptions, type KafkaEventSourceOptions } from '../source/kafka-event-source.js'
import type { ResourceProbe } from './resource-probe.js'

/** Consumer lag of Kafka consumer groups: per group, the sum over its partitions of end offset − committed offset. */
export class KafkaLagProbe implements ResourceProbe {
  readonly kind = 'kafka-lag' as const
  readonly name = 'kafka'
  private admin: Admin | undefined

  constructor(
    private readonly brokers: readonly string[],
    private readonly groups: readonly string[],
    /** TLS, SASL and timeouts (@strata/config's kafkaClientSettings). */
    private readonly client?: KafkaEventSourceOptions['client'],
  ) {}

  async sample(): Promise<Record<string, number>> {
    if (this.admin === undefined) {
      const admin = new Kafka({ ...clientOptions(this.client), clientId: 'strata-analytics-lag', brokers: [...this.brokers], logLevel: logLevel.NOTHING }).admin()
      await admin.connect()
      this.admin = admin
    }
    const admin = this.admin
    const values: Record<string, number> = {}
    for (const group of this.groups) {
      let lag = 0
      for (const { topic, partitions } of await admin.fetchOffsets({ groupId: group })) {
        const ends = new Map((await admin.fetchTopicOffsets(topic)).map((entry) => [entry.partition, Number(entry.high)]))
        for (const { partition, offset } of partitions) {
          const end = ends.get(partition) ?? 0
          // A partition the group never committed on is behind by everything it holds.
          lag += Math.max(0, end - (offset === '-1' ? 0 : Number(offset)))
        }
      }
      values[group] = lag
    }
    return values
  }

  async close(): Promise<void> {
    await this.admin?.disconnect()
  }
}
