import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'

export type Claim = { outcome: 'new'; token: string } | { outcome: 'done' } | { outcome: 'busy' }

/**
 * Remembers which domain events were applied, so a redelivered event (at-least-once) is applied once in effect.
 * A claim is a short lease ("pending"), so two invalidators of one group never apply the same event at once, and a
 * crash mid-way lets the event be retried once the lease expires; `complete` turns it into "done" for `retentionMs`.
 */
export interface EventDedupe {
  claim(eventId: string): Promise<Claim>
  complete(eventId: string, token: string): Promise<void>
  release(eventId: string, token: string): Promise<void>
}

export interface DedupeOptions {
  /** How long an applied event id is remembered (bounds the store). Default 7 days. */
  retentionMs?: number
  /** How long a claim may stay pending before another worker may take the event. Default 30 s. */
  leaseMs?: number
}

const DONE = 'done'
// Only the holder's token may release a pending claim: compare-and-delete in one step.
const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"

/** Redis-backed: holds across restarts and across the invalidators of one consumer group (SET NX PX). */
export class RedisEventDedupe implements EventDedupe {
  private readonly retentionMs: number
  private readonly leaseMs: number

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    options: DedupeOptions = {},
  ) {
    this.retentionMs = options.retentionMs ?? 7 * 24 * 3_600_000
    this.leaseMs = options.leaseMs ?? 30_000
  }

  async claim(eventId: string): Promise<Claim> {
    const token = `pending:${randomUUID()}`
    const key = this.key(eventId)
    if ((await this.redis.set(key, token, 'PX', this.leaseMs, 'NX')) === 'OK') return { outcome: 'new', token }
    return (await this.redis.get(key)) === DONE ? { outcome: 'done' } : { outcome: 'busy' }
  }

  async complete(eventId: string): Promise<void> {
    await this.redis.set(this.key(eventId), DONE, 'PX', this.retentionMs)
  }

  async release(eventId: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key(eventId), token)
  }

  private key(eventId: string): string {
    return `${this.prefix}:invalidator:event:${eventId}`
  }
}

/** In-process, bounded by count (oldest forgotten first): the embedded mode and unit tests. */
export class MemoryEventDedupe implements EventDedupe {
  private readonly seen = new Map<string, string>()

  constructor(private readonly maxEntries = 100_000) {}

  claim(eventId: string): Promise<Claim> {
    const state = this.seen.get(eventId)
    if (state === DONE) return Promise.resolve({ outcome: 'done' })
    if (state !== undefined) return Promise.resolve({ outcome: 'busy' })
    const token = `pending:${randomUUID()}`
    this.seen.set(eventId, token)
    if (this.seen.size > this.maxEntries) this.seen.delete(this.seen.keys().next().value!)
    return Promise.resolve({ outcome: 'new', token })
  }

  complete(eventId: string): Promise<void> {
    this.seen.set(eventId, DONE)
    return Promise.resolve()
  }

  release(eventId: string, token: string): Promise<void> {
    if (this.seen.get(eventId) === token) this.seen.delete(eventId)
    return Promise.resolve()
  }
}
