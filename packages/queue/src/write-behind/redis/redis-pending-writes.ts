import { readFileSync } from 'node:fs'
import type { Redis } from 'ioredis'
import { Batcher } from '../../batcher.js'
import {
  fieldOf,
  refOf,
  type BackpressureLimits,
  type PendingStats,
  type PendingWrite,
  type PendingWrites,
  type PutOutcome,
  type VersionedRef,
  type WriteRef,
} from '../pending-writes.js'

const script = (name: string): string => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8')

/** The commands this buffer uses: its Lua scripts (each state change is one script) and HMGET. */
interface PendingCommands {
  strataWbPut(k1: string, k2: string, k3: string, k4: string, ...args: Array<string | number>): Promise<PutReply[]>
  strataWbClaim(k1: string, now: number, max: number, leaseUntil: number): Promise<string[]>
  strataWbRenew(k1: string, leaseUntil: number, ...fields: string[]): Promise<number>
  strataWbSettle(k1: string, k2: string, k3: string, k4: string, ...args: Array<string | number>): Promise<number>
  strataWbStats(k1: string, k2: string, now: number): Promise<[number, string, number]>
  strataWbDiscard(k1: string, k2: string, k3: string, k4: string, tag: string, ...fields: string[]): Promise<number>
  hmget(key: string, ...fields: string[]): Promise<Array<string | null>>
  hscan(key: string, cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[string, string[]]>
}

type PutReply = [number, string?, number?, number?]

const ACCEPTED: PutReply = [1]

interface QueuedPut {
  field: string
  write: PendingWrite
  payload: string
  limits: BackpressureLimits
  now: number
}

/** Fields HSCAN visits per page when erasing by tag. */
const DISCARD_PAGE = 500

/** Writes coalesced into one put.lua call at most; bounds how long one call holds the queue Redis. */
const PUT_BATCH = 256

/** The payload stored per key; `at` is read by settle.lua. */
interface Payload {
  v: number
  at: number
  x: unknown
  tp?: string
  tg?: readonly string[]
}

export interface RedisPendingWritesOptions {
  /** An ioredis client on the queue Redis (appendonly yes); the caller owns it. */
  client: Redis
  /** The write-behind queue's name; producers and the flusher must agree on it. */
  name: string
  /** Key prefix (default 'strata:wb'). */
  prefix?: string
}

/**
 * The write-behind buffer on the queue Redis. Why not one BullMQ job per write: a job costs BullMQ's add script
 * (several keys, an event stream entry) and a job hash per write, and 10 writes of one key would be 10 jobs
 * flushed in order; here a write is one small Lua call that coalesces it into a hash in place, so the producer
 * side runs at Redis' pipeline speed and the flusher moves only the latest version of each key. BullMQ still
 * carries the flush work: the flusher claims keys into BullMQ jobs (retries, backoff, stall recovery, dead letters).
 *
 * Every key is under one hash tag, so the buffer also works on a Redis Cluster (in one slot).
 */
export class RedisPendingWrites implements PendingWrites {
  private readonly redis: PendingCommands
  private readonly keys: [versions: string, values: string, since: string, ready: string]
  private readonly puts = new Batcher<QueuedPut, PutReply>((batch) => this.putBatch(batch), PUT_BATCH, 0)

  constructor(options: RedisPendingWritesOptions) {
    const client = options.client
    for (const [name, keys] of [['put', 4], ['claim', 1], ['renew', 1], ['settle', 4], ['stats', 2], ['discard', 4]] as const) {
      const command = `strataWb${name[0]!.toUpperCase()}${name.slice(1)}`
      if (!(command in client)) client.defineCommand(command, { numberOfKeys: keys, lua: script(name) })
    }
    this.redis = client as unknown as PendingCommands
    const base = `${options.prefix ?? 'strata:wb'}:{${options.name}}`
    this.keys = [`${base}:versions`, `${base}:values`, `${base}:since`, `${base}:ready`]
  }

  /**
   * Writes that arrive in the same event-loop turn go to Redis as one put.lua call (group commit): each is still
   * acknowledged only once the script that applied it has returned, and the script applies them in arrival order
   * exactly as one call each would.
   */
  async put(write: PendingWrite, limits: BackpressureLimits, now: number): Promise<PutOutcome> {
    const payload: Payload = { v: write.version, at: write.at, x: write.value }
    if (write.traceparent !== undefined) payload.tp = write.traceparent
    if (write.tags !== undefined && write.tags.length > 0) payload.tg = write.tags
    const [ok, reason, depth, lagMs] = await this.puts.run({ field: fieldOf(write), write, payload: JSON.stringify(payload), limits, now })
    if (ok === 1) return { accepted: true }
    return { accepted: false, reason: reason === 'lag' ? 'lag' : 'depth', depth: depth ?? 0, lagMs: lagMs ?? 0 }
  }

  private async putBatch(batch: QueuedPut[]): Promise<PutReply[]> {
    // One script call checks against one set of limits; a batch mixing limits (two queues on one buffer) is split.
    const replies: PutReply[] = []
    for (let start = 0; start < batch.length; ) {
      const { maxDepth, maxLagMs } = batch[start]!.limits
      let end = start + 1
      while (end < batch.length && batch[end]!.limits.maxDepth === maxDepth && batch[end]!.limits.maxLagMs === maxLagMs) end++
      const args: Array<string | number> = []
      for (let i = start; i < end; i++) {
        const put = batch[i]!
        args.push(put.field, put.write.version, put.write.at, put.payload, put.now)
      }
      const part = await this.redis.strataWbPut(...this.keys, maxDepth, maxLagMs, ...args)
      // An empty reply: every write of the call was accepted (the common case costs no per-write reply).
      if (part.length === 0) for (let i = start; i < end; i++) replies.push(ACCEPTED)
      else replies.push(...part)
      start = end
    }
    return replies
  }

  async claim(max: number, leaseMs: number, now: number): Promise<WriteRef[]> {
    const fields = await this.redis.strataWbClaim(this.keys[3], now, max, now + leaseMs)
    return fields.map(refOf)
  }

  async renew(refs: readonly WriteRef[], leaseMs: number, now: number): Promise<void> {
    if (refs.length === 0) return
    await this.redis.strataWbRenew(this.keys[3], now + leaseMs, ...refs.map(fieldOf))
  }

  async read(refs: readonly WriteRef[]): Promise<Array<PendingWrite | undefined>> {
    if (refs.length === 0) return []
    const raw = await this.redis.hmget(this.keys[1], ...refs.map(fieldOf))
    return raw.map((text, i) => {
      if (text === null) return undefined
      const payload = JSON.parse(text) as Payload
      const ref = refs[i]!
      const write: PendingWrite = { namespace: ref.namespace, key: ref.key, version: payload.v, at: payload.at, value: payload.x }
      if (payload.tp !== undefined) write.traceparent = payload.tp
      if (payload.tg !== undefined) write.tags = payload.tg
      return write
    })
  }

  async settle(done: readonly VersionedRef[]): Promise<number> {
    if (done.length === 0) return 0
    return this.redis.strataWbSettle(...this.keys, ...done.flatMap((ref) => [fieldOf(ref), ref.version]))
  }

  /**
   * Scans the namespace's fields page by page (HSCAN: Redis is never held for the whole buffer), then removes the
   * tagged ones with a script that checks each again, atomically.
   */
  async discardTagged(namespace: string, tag: string): Promise<number> {
    const pattern = `${namespace.replace(/[*?[\]\\]/g, '\\$&')}\n*`
    let removed = 0
    let cursor = '0'
    do {
      const [next, flat] = await this.redis.hscan(this.keys[1], cursor, 'MATCH', pattern, 'COUNT', DISCARD_PAGE)
      cursor = next
      const candidates: string[] = []
      for (let i = 0; i < flat.length; i += 2) {
        const payload = JSON.parse(flat[i + 1]!) as Payload
        if (payload.x !== null && payload.tg?.includes(tag) === true) candidates.push(flat[i]!)
      }
      if (candidates.length > 0) removed += await this.redis.strataWbDiscard(...this.keys, tag, ...candidates)
    } while (cursor !== '0')
    return removed
  }

  async stats(now: number): Promise<PendingStats> {
    const [depth, oldest, ready] = await this.redis.strataWbStats(this.keys[2], this.keys[3], now)
    const oldestAt = Number(oldest)
    return { depth, oldestAt: oldestAt < 0 ? undefined : oldestAt, ready }
  }

  /** Deletes the buffer: for tests and tooling only. */
  async destroy(): Promise<void> {
    await (this.redis as unknown as Redis).del(...this.keys)
  }
}
