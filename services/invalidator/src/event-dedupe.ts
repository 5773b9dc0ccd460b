import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'

export type Claim = { outcome: 'new'; token: string; takenOverFrom?: string } | { outcome: 'done' } | { outcome: 'busy' }

/**
 * Who claims an event. A consumer that owns the event's partition passes `ownsPartition`: Kafka hands a partition to
 * one member per group generation, so a pending claim it finds there was left by a previous owner (crashed, or
 * rebalanced away mid-event) and is taken over at once instead of waiting out the lease. `owner` and `generation`
 * (how many times this consumer subscribed) are written into the claim, so one can see who held it and from which assignment.
 */
export interface Claimant {
  owner: string
  generation: number
  ownsPartition: boolean
}

/**
 * Remembers which domain events were applied, so a redelivered event (at-least-once) is applied once in effect.
 * A claim is a short lease ("pending"), so two invalidators never apply the same event at once unless one took it
 * over from a previous partition owner (applying an invalidation twice is harmless; waiting 30 s for a dead one's
 * lease was not); `complete` turns it into "done" for `retentionMs`.
 */
export interface EventDedupe {
  claim(eventId: string, claimant?: Claimant): Promise<Claim>
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
// A new claim, "done", "busy", or a pending one taken over by the partition's owner (returning who held it).
const CLAIM = `
local current = redis.call('GET', KEYS[1])
if current == 'done' then return 'done' end
if current and ARGV[3] ~= '1' then return 'busy' end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if current then return 'taken:' .. current end
return 'new'`
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

  async claim(eventId: string, claimant?: Claimant): Promise<Claim> {
    const token = pendingToken(claimant)
    const answer = (await this.redis.eval(CLAIM, 1, this.key(eventId), token, String(this.leaseMs), claimant?.ownsPartition === true ? '1' : '0')) as string
    if (answer === 'done') return { outcome: 'done' }
    if (answer === 'busy') return { outcome: 'busy' }
    return answer.startsWith('taken:') ? { outcome: 'new', token, takenOverFrom: answer.slice('taken:'.length) } : { outcome: 'new', token }
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

  claim(eventId: string, claimant?: Claimant): Promise<Claim> {
    const state = this.seen.get(eventId)
    if (state === DONE) return Promise.resolve({ outcome: 'done' })
    if (state !== undefined && claimant?.ownsPartition !== true) return Promise.resolve({ outcome: 'busy' })
    const token = pendingToken(claimant)
    this.seen.set(eventId, token)
    if (state !== undefined) return Promise.resolve({ outcome: 'new', token, takenOverFrom: state })
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

/** `pending:<owner>:<generation>:<random>`: unique per claim, and says who holds it. */
function pendingToken(claimant: Claimant | undefined): string {
  return claimant === undefined ? `pending:${randomUUID()}` : `pending:${claimant.owner}:${claimant.generation}:${randomUUID()}`
}
