import { decodeEvent, type Subscription, type Transport } from '@strata/bus'
import type { AnalyticsState } from '../aggregation/analytics-state.js'
import { DEFAULT_TOPICS, dispatchEvent, topicList, type AnalyticsTopics } from './event-dispatch.js'

export interface TransportEventSourceOptions {
  group: string
  topics?: AnalyticsTopics
}

/**
 * Feeds the analytics state from any bus Transport: the embedded platform's in-process one. Unlike the Kafka source
 * it leaves positions to the transport (its group's committed offsets), so it fits a store that lives no longer
 * than the transport, as in one process; across restarts, exactly-once needs the Kafka source.
 */
export class TransportEventSource {
  private subscription: Subscription | undefined
  private readonly topics: AnalyticsTopics

  constructor(private readonly state: AnalyticsState, private readonly transport: Transport, private readonly options: TransportEventSourceOptions) {
    this.topics = options.topics ?? DEFAULT_TOPICS
  }

  async start(): Promise<void> {
    this.subscription = await this.transport.subscribe(topicList(this.topics), { group: this.options.group, startFrom: 'earliest', deadLetter: false }, (message) => {
      try {
        dispatchEvent(this.state, this.topics, message.topic, decodeEvent(message))
      } catch {
        // A message that is not a valid event can never become one: counted, and consumed.
        this.state.counters.invalid++
      }
      this.state.advance(message.topic, message.partition, message.offset)
      return Promise.resolve()
    })
  }

  async stop(): Promise<void> {
    await this.subscription?.close()
  }
}
