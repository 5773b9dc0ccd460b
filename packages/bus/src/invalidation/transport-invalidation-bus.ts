import { StrataError, type InvalidationBus, type InvalidationMessage } from '@strata/core'
import { createEvent } from '../envelope/event-envelope.js'
import { consumeEvents, decodeEvent, encodeEvent } from '../envelope/event-codec.js'
import type { InvalidationEvent, InvalidationHeartbeatEvent } from '../events/strata-events.js'
import type { FanoutErrorStage } from '../fanout/fanout-error-report.js'
import type { InvalidationFanout } from '../fanout/invalidation-fanout.js'
import { TOPICS } from '../topics.js'
import type { Transport } from '../transport/transport.js'

export const INVALIDATION_EVENT_TYPE = 'strata.invalidation.v1'
export const INVALIDATION_HEARTBEAT_TYPE = 'strata.invalidation.heartbeat.v1'

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
  /**
   * How often this instance beats on every partition of the topic, ms (default 300); `false` for none. Reading its
   * own beat back vouches that it has read every invalidation published before it, which is what lets the engine
   * bound how stale an L1 copy can be (its `maxStalenessMs`, default 2 s, must exceed a few beats).
   */
  heartbeatMs?: number | false
  /**
   * How long `publish` waits for the broker before rejecting with E_BUS_UNAVAILABLE, ms, so that the
   * engine puts the invalidation in its outbox (or answers 503) instead of holding the caller for the transport's
   * whole publish budget. A send that completes later only duplicates the message, which is harmless. Default 3 s.
   */
  publishTimeoutMs?: number
  /**
   * A fast side channel (`RedisInvalidationFanout`, `@strata/bus/redis`): each invalidation is also sent there, before
   * the durable send, and what arrives there is applied at once. Best effort both ways; the transport's copy is still
   * published, awaited and applied as without it, so every guarantee stays on the transport (docs/guides/invalidation.md).
   */
  fanout?: InvalidationFanout
  /**
   * Called when the fanout drops a message (`publish`) or delivers one that is not a valid invalidation (`receive`).
   * Default: ignored; the services pass a FanoutErrorReport (a warn log and strata_fast_invalidation_errors_total).
   */
  onFanoutError?: (error: unknown, stage: FanoutErrorStage) => void
}

/**
 * Core's InvalidationBus over any Transport: a cache publishes its invalidations as `strata.invalidation.v1` events
 * on `strata.invalidations.v1`, partitioned by namespace (so one namespace's invalidations stay ordered), and follows
 * everyone else's through a broadcast subscription: every instance gets every message, from the moment it starts.
 * Each instance also beats on every partition and reads its beats back: that is the evidence that it hears the stream.
 *
 *   const cache = createCache({ l2, bus: transportInvalidationBus(new KafkaTransport({ brokers }), { instanceId }) })
 */
export class TransportInvalidationBus implements InvalidationBus {
  private readonly topic: string
  private readonly group: string
  private readonly source: string
  readonly heartbeatMs: number | undefined
  private readonly publishTimeoutMs: number

  constructor(
    private readonly transport: Transport,
    private readonly options: TransportInvalidationBusOptions,
  ) {
    this.topic = options.topic ?? TOPICS.invalidations
    this.group = options.group ?? 'strata.l1'
    this.source = options.source ?? 'strata/cache'
    // A transport that cannot address partitions cannot prove every partition is heard: no heartbeat, no bound.
    this.heartbeatMs = options.heartbeatMs === false || transport.partitionCount === undefined ? undefined : (options.heartbeatMs ?? 300)
    this.publishTimeoutMs = options.publishTimeoutMs ?? 3_000
  }

  /** Rejects with E_EVENT_INVALID or E_BUS_UNAVAILABLE (the engine then keeps it in its outbox, or fails the call). */
  async publish(message: InvalidationMessage): Promise<void> {
    await this.publishMany([message])
  }

  /** Several invalidations in one send, in order (the outbox relay). */
  async publishMany(messages: readonly InvalidationMessage[]): Promise<void> {
    const events = messages.map((message) => createEvent<InvalidationEvent>({ type: INVALIDATION_EVENT_TYPE, source: this.source, subject: message.namespace, data: message }))
    // Validated before anything leaves, so an invalid message goes nowhere.
    const encoded = events.map((event) => encodeEvent(event))
    this.fanOut(encoded)
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new StrataError('E_BUS_UNAVAILABLE', `The bus did not take an invalidation within ${this.publishTimeoutMs} ms`, { context: { topic: this.topic } })),
        this.publishTimeoutMs,
      )
      timer.unref()
    })
    const sent = this.transport.publish(this.topic, encoded)
    // A late failure of the abandoned send must not surface as an unhandled rejection.
    sent.catch(() => undefined)
    try {
      await Promise.race([sent, timedOut])
    } finally {
      clearTimeout(timer)
    }
  }

  /** The fast copies: not awaited (the caller waits for the durable send only), failures only reported. */
  private fanOut(encoded: readonly { value: Buffer | string }[]): void {
    const fanout = this.options.fanout
    if (fanout === undefined) return
    for (const message of encoded) void fanout.publish(message.value.toString()).catch((error: unknown) => this.options.onFanoutError?.(error, 'publish'))
  }

  async subscribe(handler: (message: InvalidationMessage) => void, onGap?: (reason: string) => void, onHeard?: (upTo: number) => void): Promise<() => Promise<void>> {
    // The fast path first, so that it is live by the time the durable subscription is (ready means both).
    const stopFast = await this.options.fanout?.subscribe((payload) => this.applyFast(payload, handler))
    const heard = this.heartbeatMs === undefined || onHeard === undefined ? undefined : new HeardPartitions(onHeard)
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
        if (event.type === INVALIDATION_HEARTBEAT_TYPE) {
          const beat = event.data as InvalidationHeartbeatEvent
          if (beat.origin === this.options.instanceId) heard?.beat(beat.partition, beat.at)
          return Promise.resolve()
        }
        if (event.type !== INVALIDATION_EVENT_TYPE) return Promise.resolve()
        const message = event.data as InvalidationMessage
        handler(message)
        this.options.onApplied?.(message, Date.now())
        return Promise.resolve()
      },
    )
    const stopBeating = heard === undefined ? undefined : await this.beat(heard)
    return async () => {
      stopBeating?.()
      await stopFast?.()
      await subscription.close()
    }
  }

  /**
   * A fast copy is applied as it arrives, and its durable copy again when that arrives: applying an invalidation twice
   * only evicts twice, and the durable path stays exactly what it is without the fanout (the staleness bound and the
   * engine's handling of a racing fill rest on it). Heartbeats never travel here: only the transport vouches.
   */
  private applyFast(payload: string, handler: (message: InvalidationMessage) => void): void {
    let event
    try {
      event = decodeEvent({ value: Buffer.from(payload), headers: {} })
    } catch (error) {
      this.options.onFanoutError?.(error, 'receive')
      return
    }
    if (event.type !== INVALIDATION_EVENT_TYPE) return
    const message = event.data as InvalidationMessage
    handler(message)
    this.options.onApplied?.(message, Date.now())
  }

  /** Publishes this instance's beat on every partition, every heartbeatMs, one send at a time. */
  private async beat(heard: HeardPartitions): Promise<() => void> {
    const partitions = await this.transport.partitionCount!(this.topic)
    heard.expect(partitions)
    let stopped = false
    let sending = false
    const send = (): void => {
      if (stopped || sending) return
      sending = true
      const at = Date.now()
      const messages = Array.from({ length: partitions }, (_, partition) =>
        encodeEvent(
          createEvent<InvalidationHeartbeatEvent>({ type: INVALIDATION_HEARTBEAT_TYPE, source: this.source, subject: this.options.instanceId, data: { origin: this.options.instanceId, partition, at } }),
          undefined,
        ),
      ).map((message, partition) => ({ ...message, partition }))
      // A beat that fails is simply missing: the engine notices the silence, which is the point.
      void this.transport
        .publish(this.topic, messages)
        .catch(() => undefined)
        .finally(() => {
          sending = false
        })
    }
    send()
    const timer = setInterval(send, this.heartbeatMs)
    timer.unref()
    return () => {
      stopped = true
      clearInterval(timer)
    }
  }
}

/** The newest beat read back on each partition; the stream is heard up to the oldest of them. */
class HeardPartitions {
  private latest: number[] = []

  constructor(private readonly onHeard: (upTo: number) => void) {}

  expect(partitions: number): void {
    this.latest = new Array<number>(partitions).fill(0)
  }

  beat(partition: number, at: number): void {
    if (partition >= this.latest.length || at <= this.latest[partition]!) return
    this.latest[partition] = at
    let upTo = Infinity
    for (const value of this.latest) if (value < upTo) upTo = value
    if (upTo > 0) this.onHeard(upTo)
  }
}

/** `createCache({ bus: transportInvalidationBus(transport, { instanceId }) })`. */
export function transportInvalidationBus(transport: Transport, options: TransportInvalidationBusOptions): TransportInvalidationBus {
  return new TransportInvalidationBus(transport, options)
}
