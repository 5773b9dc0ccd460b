import { TOPICS, consumeEvents, type EventEnvelope, type Subscription } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { BullmqJobQueue } from '@strata/queue/bullmq'
import { Redis } from 'ioredis'
import { servers, uniqueName } from '@strata/testkit'
import { PrometheusScrapeSource, RedisAlertStore, buildAlerting, parseAlertingConfig, type Alerting, type DeliveryJob } from '../../src/app.js'

export const SECRET = 'test-secret-0123456789abcdef'

export interface AlertingUnderTest {
  alerting: Alerting
  queue: BullmqJobQueue<DeliveryJob>
  store: RedisAlertStore
  transport: KafkaTransport
  stop(): Promise<void>
}

/** The alerting service in-process over the real queue Redis (BullMQ + store) and real Kafka, with its config as YAML. */
export async function startAlerting(yaml: string, scrapeUrls: string[], retry = { attempts: 5, baseMs: 50, maxMs: 200 }): Promise<AlertingUnderTest> {
  const config = parseAlertingConfig(yaml, 'test.yaml', {})
  const prefix = uniqueName('alerting')
  const queue: BullmqJobQueue<DeliveryJob> = new BullmqJobQueue<DeliveryJob>(uniqueName('webhooks'), {
    url: servers.queueRedisUrl,
    prefix,
    retry,
    onDeadLetter: (letter) => alerting.handleDeadLetter(letter),
  })
  const store = new RedisAlertStore(servers.queueRedisUrl, prefix)
  const transport = new KafkaTransport({ brokers: servers.kafkaBrokers, clientId: uniqueName('alerting') })
  const alerting: Alerting = buildAlerting({
    sources: scrapeUrls.map((url) => new PrometheusScrapeSource({ url })),
    store,
    rules: config.rules,
    receivers: config.receivers,
    deliveries: queue,
    transport,
    intervalMs: config.intervalMs ?? 200,
  })
  await alerting.start()
  return {
    alerting,
    queue,
    store,
    transport,
    async stop() {
      await alerting.stop()
      await queue.close()
      await transport.close()
      await store.close()
      // Unique prefix per test: everything it wrote (store hashes, BullMQ keys) goes.
      const redis = new Redis(servers.queueRedisUrl)
      const keys = await redis.keys(`${prefix}:*`)
      if (keys.length > 0) await redis.del(...keys)
      redis.disconnect()
    },
  }
}

/** Every event on a topic from now on, through a real Kafka consumer group of its own. */
export async function watchTopic(topic: string = TOPICS.alerts): Promise<{ events: EventEnvelope[]; stop(): Promise<void> }> {
  const transport = new KafkaTransport({ brokers: servers.kafkaBrokers, clientId: uniqueName('watch') })
  const events: EventEnvelope[] = []
  const subscription: Subscription = await consumeEvents(transport, topic, { group: uniqueName('watch') }, (event) => {
    events.push(event)
    return Promise.resolve()
  })
  return {
    events,
    async stop() {
      await subscription.close()
      await transport.close()
    },
  }
}
