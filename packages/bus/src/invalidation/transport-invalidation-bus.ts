import type { InvalidationBus, InvalidationMessage } from '@strata/core'
import { createEvent } from '../envelope/event-envelope.js'
import { consumeEvents, publishEvents } from '../envelope/event-codec.js'
import type { InvalidationEvent } from '../events/strata-events.js'
import { TOPICS } from '../topics.js'
import type { Transport } from '../transport/transport.js'

export const INVALIDATION_EVENT_TYPE = 'strata.invalidation.v1'

export interface TransportInvalidationBusOptions {
  /** Unique per process: names this instance's broadcast group (`<group>.<instanceId>`). */
  instanceId: string
  /** Base of the broadcast groups. Default `strata.l1`. */
  group?: string
  /** Default `strata.invalidations.v1`. */
  topic?: string
  /** The envelope's `source`. Default `strata/cache`. */
  source?: string
  /** Called with each message and its envelope on receipt, after the cache applied it (latency measurement). */
  onApplied?: (message: InvalidationMessage, receivedAt: number) => void
  /**
   * How long the subscription may fetch nothing before the instance counts as disconnected and drops its L1 when it
   * fetches again, ms (default 60 s). Keep it well below the broker's `offsets.retention.minutes` and the topic's
   * retention, the windows within which a reconnecting instance is sure to get what it missed.
   */
  gapAfterMs?: number
}

/**
 * Core's InvalidationBus over any Transport: a cache publishes its invalidations as `strata.invalidation.v1` events
 * on `strata.invalidations.v1`, partitioned by namespace (so one namespace's invalidations stay ordered), and follows
 * everyone else's through a broadcast subscription: every instance gets every message, from the moment it starts.
 *
 *   const cache = createCache({ l2, bus: transportInvalidationBus(new KafkaTransport({ brokers }), { instanceId }) })
 */
export class TransportInvalidationBus implements InvalidationBus {
  private readonly topic: string
  private readonly group: string
  private readonly source: string

  constructor(
    private readonly transport: Transport,
    private readonly options: TransportInvalidationBusOptions,
  ) {
    this.topic = options.topic ?? TOPICS.invalidations
    this.group = options.group ?? 'strata.l1'
    this.source = options.source ?? 'strata/cache'
  }

  /** Rejects with E_EVENT_INVALID or E_BUS_UNAVAILABLE (the engine reports it as an error event). */
  async publish(message: InvalidationMessage): Promise<void> {
    const event = createEvent<InvalidationEvent>({ type: INVALIDATION_EVENT_TYPE, source: this.source, subject: message.namespace, data: message })
    await publishEvents(this.transport, this.topic, [event])
  }

  async subscribe(handler: (message: InvalidationMessage) => void, onGap?: (reason: string) => void): Promise<() => Promise<void>> {
    const subscription = await consumeEvents(
      this.transport,
      this.topic,
      {
        group: this.group,
        mode: 'broadcast',
        instanceId: this.options.instanceId,
        ...(onGap === undefined
          ? {}
          : {
              onGap: (gap) => onGap(gap.reason === 'silence' ? `nothing fetched for ${gap.size} ms` : `${gap.size} offsets skipped on ${gap.topic}[${gap.partition}]`),
              gapAfterMs: this.options.gapAfterMs ?? 60_000,
            }),
      },
      (event) => {
        if (event.type !== INVALIDATION_EVENT_TYPE) return Promise.resolve()
        const message = event.data as InvalidationMessage
        handler(message)
        this.options.onApplied?.(message, Date.now())
        return Promise.resolve()
      },
    )
    return () => subscription.close()
  }
}

/** `createCache({ bus: transportInvalidationBus(transport, { instanceId }) })`. */
export function transportInvalidationBus(transport: Transport, options: TransportInvalidationBusOptions): TransportInvalidationBus {
  return new TransportInvalidationBus(transport, options)
}
