import { randomUUID } from 'node:crypto'
import { Redis, type Cluster, type RedisOptions } from 'ioredis'
import type { InvalidationMessage, InvalidationOutbox } from '../../cache/ports.js'
import { FAIL_FAST_REDIS_OPTIONS } from './redis-store-factory.js'

export interface RedisInvalidationOutboxOptions {
  /**
   * Key of the list; every instance of one fleet shares it. Default `{strata:invalidation-outbox}` (a hash tag, so the
   * list and its relay lease share a Redis Cluster slot).
   */
  key?: string
  /** How long one relay may hold the outbox before another instance may take over, ms. Default 10 s. */
  relayLeaseMs?: number
}

// Removes the relayed head only while this relay still holds the lease: two relays never trim each other's messages.
const TRIM_IF_HELD = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
redis.call('LTRIM', KEYS[1], tonumber(ARGV[2]), -1)
redis.call('DEL', KEYS[2])
return 1`
const RELEASE_IF_HELD = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"

/**
 * The invalidation outbox in Redis: a list appended to (RPUSH, acknowledged by Redis before the caller is answered)
 * and relayed head first by whichever instance holds the relay lease. A relay that dies mid-way leaves its messages
 * in place; the next one sends them again (an invalidation applied twice is harmless).
 */
export class RedisInvalidationOutbox implements InvalidationOutbox {
  private readonly key: string
  private readonly leaseKey: string
  private readonly leaseMs: number

  constructor(
    private readonly redis: Redis | Cluster,
    options: RedisInvalidationOutboxOptions = {},
    private readonly ownsClient = false,
  ) {
    this.key = options.key ?? '{strata:invalidation-outbox}'
    // Same hash tag as the list when the key has one: both are touched by one script.
    this.leaseKey = /\{[^}]+\}/.test(this.key) ? `${this.key}:relay` : `{${this.key}}:relay`
    this.leaseMs = options.relayLeaseMs ?? 10_000
  }

  async append(message: InvalidationMessage): Promise<void> {
    await this.redis.rpush(this.key, JSON.stringify(message))
  }

  size(): Promise<number> {
    return this.redis.llen(this.key)
  }

  async relay(limit: number, publish: (messages: readonly InvalidationMessage[]) => Promise<void>): Promise<number> {
    // The common case (nothing waits) is one LLEN per tick.
    if ((await this.redis.llen(this.key)) === 0) return 0
    const token = randomUUID()
    if ((await this.redis.set(this.leaseKey, token, 'PX', this.leaseMs, 'NX')) !== 'OK') return 0
    try {
      const raw = await this.redis.lrange(this.key, 0, limit - 1)
      if (raw.length === 0) return 0
      await publish(raw.map((item) => JSON.parse(item) as InvalidationMessage))
      const trimmed = (await this.redis.eval(TRIM_IF_HELD, 2, this.key, this.leaseKey, token, String(raw.length))) as number
      return trimmed === 1 ? raw.length : 0
    } finally {
      await this.redis.eval(RELEASE_IF_HELD, 1, this.leaseKey, token).catch(() => undefined)
    }
  }

  close(): Promise<void> {
    if (this.ownsClient) this.redis.disconnect()
    return Promise.resolve()
  }
}

/** `createCache({ outbox: redisInvalidationOutbox({ url }) })`: a client of its own, fail-fast like the store's. */
export function redisInvalidationOutbox(config: ({ url: string; redis?: RedisOptions } | { client: Redis | Cluster }) & RedisInvalidationOutboxOptions): RedisInvalidationOutbox {
  if ('client' in config) return new RedisInvalidationOutbox(config.client, config)
  // Commands wait for the first connection (and one reconnect) rather than fail at once: an append is rare (the bus
  // failed) and must rather take a moment than turn into a 503. An append still resolves only once Redis has it.
  const client = new Redis(config.url, { ...FAIL_FAST_REDIS_OPTIONS, lazyConnect: false, enableOfflineQueue: true, ...config.redis })
  client.on('error', () => undefined)
  return new RedisInvalidationOutbox(client, config, true)
}
