import { StrataError } from '@strata/core'
import type { Cluster, Redis } from 'ioredis'
import type { InvalidationFanout } from '../invalidation-fanout.js'

export interface RedisInvalidationFanoutOptions {
  /**
   * The pub/sub channel. Redis pub/sub ignores the database number, so deployments sharing a Redis need channels of
   * their own: `fastInvalidationChannel(prefix, topic)`.
   */
  channel: string
  /** How long `subscribe` waits for a Redis it cannot reach before resolving anyway, ms. Default 1 s. */
  subscribeWaitMs?: number
}

/**
 * InvalidationFanout over Redis pub/sub (standalone, Sentinel or Cluster, where PUBLISH reaches every node):
 * publishes on the given client, subscribes on a duplicate of it (a subscribed connection can do nothing else). The
 * caller owns and closes `client`; the fanout closes its duplicates.
 *
 *   const fanout = new RedisInvalidationFanout(redis, { channel: fastInvalidationChannel(prefix, TOPICS.invalidations) })
 *   transportInvalidationBus(kafka, { instanceId, fanout })
 */
export class RedisInvalidationFanout implements InvalidationFanout {
  readonly name = 'redis'
  private readonly channel: string
  private readonly subscribeWaitMs: number

  constructor(
    private readonly client: Redis | Cluster,
    options: RedisInvalidationFanoutOptions,
  ) {
    this.channel = options.channel
    this.subscribeWaitMs = options.subscribeWaitMs ?? 1_000
  }

  async publish(payload: string): Promise<void> {
    // Never into ioredis's offline queue: a copy delivered after a reconnect is later than the Kafka one.
    if (this.client.status !== 'ready') throw new StrataError('E_BUS_UNAVAILABLE', `Redis is ${this.client.status}: the fast invalidation was dropped`, { context: { channel: this.channel } })
    await this.client.publish(this.channel, payload)
  }

  async subscribe(handler: (payload: string) => void): Promise<() => Promise<void>> {
    const subscriber = this.client.duplicate()
    subscriber.on('error', () => undefined)
    subscriber.on('message', (channel: string, payload: string) => {
      if (channel === this.channel) handler(payload)
    })
    // ioredis re-subscribes after a reconnect only to channels it once subscribed: a SUBSCRIBE that failed while Redis
    // was down at start is sent again on every ready (subscribing twice to one channel is a no-op in Redis).
    const subscribe = () => subscriber.subscribe(this.channel)
    subscriber.on('ready', () => void subscribe().catch(() => undefined))
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      subscribe().catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, this.subscribeWaitMs)
        timer.unref()
      }),
    ])
    clearTimeout(timer)
    // Nothing to flush on a subscribed connection, and QUIT would wait for a Redis that may be gone.
    return () => {
      subscriber.disconnect()
      return Promise.resolve()
    }
  }
}

/** The channel of a deployment's fast invalidations: its key prefix and the invalidations topic. */
export function fastInvalidationChannel(prefix: string, topic: string): string {
  return `${prefix}:${topic}`
}
