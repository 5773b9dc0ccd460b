import { readFileSync } from 'node:fs'
import type { ChainableCommander, Cluster, Redis } from 'ioredis'
import { StrataError } from '../../errors/index.js'
import type { L2ScanOptions, L2ScanPage, L2SetEntry, L2Store } from '../l2-store.js'
import { hashSlot } from './hash-slot.js'
import { toStrataError } from './redis-errors.js'
import { clearPatterns, countPatterns, engineKeyOf, leaseKeyOf, slotTag, valueKeyOf } from './redis-keys.js'

const lua = (file: string): string => readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8')
const SCRIPTS = {
  // Same script twice: with a fixed key count ioredis' auto-pipelining sees the first key (not the count) and routes by it.
  strataSet: { lua: lua('set-many.lua'), numberOfKeys: 2 },
  strataSetMany: { lua: lua('set-many.lua') },
  strataSetWithLease: { lua: lua('set-with-lease.lua'), numberOfKeys: 2 },
  strataReleaseLease: { lua: lua('release-lease.lua'), numberOfKeys: 1 },
  strataDeleteWithLease: { lua: lua('delete-with-lease.lua'), numberOfKeys: 2 },
  strataDeleteManyCounted: { lua: lua('delete-many-counted.lua') },
} as const

type Arg = string | Buffer | number

/** The commands this store adds with defineCommand (EVALSHA, falling back to EVAL once per node on NOSCRIPT). */
interface StrataCommands<R> {
  strataSet(leaseKey: string, valueKey: string, value: Buffer, ttlMs: number): R
  strataSetMany(numKeys: number, ...keysThenArgs: Arg[]): R
  strataSetWithLease(leaseKey: string, valueKey: string, token: string, value: Buffer, ttlMs: number): R
  strataReleaseLease(leaseKey: string, token: string): R
  strataDeleteWithLease(leaseKey: string, valueKey: string, token: string): R
  strataDeleteManyCounted(numKeys: number, ...keys: string[]): R
}
type Client = (Redis | Cluster) & StrataCommands<Promise<number>>
type Pipeline = ChainableCommander & StrataCommands<ChainableCommander>

/** Indexes of keys that go in one command, and the pipeline (node) it joins. */
interface Group {
  indexes: number[]
  batch: string
}

export interface RedisStoreOptions {
  /** Close the client on `disconnect()`. True for clients built by `redisStore()`, false for clients passed in. */
  ownsClient?: boolean
  /** Name for stats and errors; derived from the client by default (`redis`, `redis-sentinel`, `redis-cluster`). */
  storeName?: string
  /** How long the first command waits for a client that is still making its first connection. Default 2000 ms. */
  connectWaitMs?: number
}

/** Keys per MGET/DEL and entries per set script: bounds how long one command holds the (single-threaded) server. */
const KEYS_PER_COMMAND = 500
/** SCAN COUNT hint for clear(). */
const SCAN_COUNT = 1000
/**
 * SCAN COUNT hint for scan(). Fixed, not derived from the page size: a page that ends inside a SCAN batch resumes by
 * repeating the same SCAN call and skipping what was listed, which returns the same batch only with the same COUNT.
 */
const BROWSE_SCAN_COUNT = 200

/**
 * L2 on Redis through ioredis: standalone, Sentinel (a `Redis` built with `sentinels`) and Cluster, one class.
 *
 * - Values are plain string keys, read with GET/MGET as Buffers: an L2 hit costs what a raw GET costs.
 * - Every change that touches a value and its lease together is one atomic step: a Lua script (set, setWithLease,
 *   releaseLease) or a single multi-key DEL (delete), never a read-modify-write from JavaScript. The lease key is
 *   hash-tagged into the value's slot (see redis-keys.ts), so these work unchanged on Cluster.
 * - Bulk calls are grouped by hash slot on Cluster (multi-key commands must stay within one slot) and the groups are
 *   pipelined per node, so `getMany` of keys over every shard is one round trip per node; on a single node they are
 *   one command (chunked at KEYS_PER_COMMAND).
 * - Connection failures surface as StrataError E_L2_UNAVAILABLE and fail fast (see redisStore's defaults), so the
 *   engine's circuit breaker can serve from L1 instead of queueing behind a dead server.
 */
export class RedisStore implements L2Store {
  readonly name: string
  readonly #client: Client
  readonly #isCluster: boolean
  readonly #ownsClient: boolean
  readonly #connectWaitMs: number
  /** The first connection attempt has ended, in success or failure: from then on an unready client fails fast. */
  #firstAttemptDone: boolean
  #firstConnection: Promise<void> | undefined

  constructor(client: Redis | Cluster, options: RedisStoreOptions = {}) {
    this.#isCluster = 'isCluster' in client && client.isCluster
    const clientOptions = (this.#isCluster ? (client as Cluster).options.redisOptions : (client as Redis).options) ?? {}
    if (typeof clientOptions.keyPrefix === 'string' && clientOptions.keyPrefix !== '') {
      // ioredis would prefix KEYS but not SCAN patterns, and the lease's hash tag is computed on the key we see.
      throw new StrataError('E_INVALID_OPTION', 'A Redis client with keyPrefix cannot back an L2 store; the engine builds full keys', {
        context: { keyPrefix: clientOptions.keyPrefix },
      })
    }
    this.name = options.storeName ?? (this.#isCluster ? 'redis-cluster' : (client as Redis).options.sentinels ? 'redis-sentinel' : 'redis')
    this.#ownsClient = options.ownsClient ?? false
    this.#connectWaitMs = options.connectWaitMs ?? 2000
    for (const [command, definition] of Object.entries(SCRIPTS)) client.defineCommand(command, definition)
    this.#client = client as Client
    // Build the lease hash-tag table now, so that no request pays for it (see redis-keys.ts).
    slotTag(0)
    this.#firstAttemptDone = client.status !== 'wait' && client.status !== 'connecting' && client.status !== 'connect'
    const attemptDone = (): void => {
      this.#firstAttemptDone = true
    }
    client.once('ready', attemptDone)
    client.once('close', attemptDone)
  }

  /** The ioredis client, for health checks and tests. */
  get client(): Redis | Cluster {
    return this.#client
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      if (this.#client.status !== 'ready') await this.#whenUsable()
      return (await this.#client.getBuffer(valueKeyOf(key))) ?? undefined
    } catch (error) {
      throw toStrataError(error, this.name)
    }
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    if (keys.length === 0) return []
    try {
      if (this.#client.status !== 'ready') await this.#whenUsable()
      if (!this.#isCluster && keys.length <= KEYS_PER_COMMAND) {
        return (await this.#client.mgetBuffer(keys.map(valueKeyOf))).map((value) => value ?? undefined)
      }
      const groups = this.#group(keys)
      const replies = await this.#run(groups, (target, indexes) => target.mgetBuffer(indexes.map((i) => valueKeyOf(keys[i]!))))
      const values = new Array<Uint8Array | undefined>(keys.length)
      groups.forEach((group, g) => {
        const reply = replies[g] as (Buffer | null)[]
        group.indexes.forEach((index, j) => {
          values[index] = reply[j] ?? undefined
        })
      })
      return values
    } catch (error) {
      throw toStrataError(error, this.name)
    }
  }

  async set(key: string, value: Uint8Array, ttlMs: number): Promise<void> {
    try {
      if (this.#client.status !== 'ready') await this.#whenUsable()
      await this.#client.strataSet(leaseKeyOf(key), valueKeyOf(key), asBuffer(value), toPx(ttlMs))
    } catch (error) {
      throw toStrataError(error, this.name)
    }
  }

  async setMany(entries: readonly L2SetEntry[]): Promise<void> {
    if (entries.length === 0) return
    try {
      if (this.#client.status !== 'ready') await this.#whenUsable()
      const groups = this.#group(entries.map((entry) => entry.key))
      await this.#run(groups, (target, indexes) => {
        const keys: string[] = []
        const args: Arg[] = []
        for (const index of indexes) {
          const entry = entries[index]!
          keys.push(leaseKeyOf(entry.key), valueKeyOf(entry.key))
          args.push(asBuffer(entry.value), toPx(entry.ttlMs))
        }
        return target.strataSetMany(keys.length, ...keys, ...args)
      })
    } catch (error) {
      throw toStrataError(error, this.name)
    }
  }

  /** One DEL of the value and its lease: a single command is atomic, so no script is needed for this one. */
  async delete(key: string): Promise<void> {
    try {
      if (this.#client.status !== 'ready') await this.#whenUsable()
      await this.#client.del(leaseKeyOf(key), valueKeyOf(key))
    } catch (error) {
      throw toStrataError(error, this.name)
    }
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return
    try {
      if (this.#client.status !== 'ready') await this.#whenUsable()
      const groups = this.#group(keys)
      await this.#run(groups, (target, indexes) => target.del(indexes.flatMap((i) => [leaseKeyOf(keys[i]!), valueKeyOf(keys[i]!)])))
    } catch (error) {
      throw toStrataError(error, this.name)
    }
  }

  /** deleteMany and its count in one script per group (one round trip per node, like deleteMany). */
  async deleteManyCounted(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0
    try {
      if (this.#client.status !== 'ready') await this.#whenUsable()
      const groups = this.#group(keys)
      const replies = await this.#run(groups, (target, indexes) => {
        const pairs = indexes.flatMap((i) => [leaseKeyOf(keys[i]!), valueKeyOf(keys[i]!)])
        return target.strataDeleteManyCounted(pairs.length, ...pairs)
      })
      return replies.reduce<number>((total, reply) => total + Number(reply), 0)
    } catch (error) {
      throw toStrataError(error, this.name)
    }
  }

  /** SCAN MATCH over every primary; like SCAN, a key written or deleted during the count may or may not be counted. */
  async count(prefix: string): Promise<number> {
    try {
      await this.#whenUsable()
      const nodes = this.#isCluster ? (this.#client as Cluster).nodes('master') : [this.#client as Redis]
      const counts = await Promise.all(
        nodes.map(async (node) => {
          let total = 0
          for (const pattern of countPatterns(prefix)) total += await this.#scanCount(node, pattern)
          return total
        }),
      )
      return counts.reduce((a, b) => a + b, 0)
    } catch (error) {
      throw toStrataError(error, this.name)
    }
  }

  /**
   * SCAN MATCH over every primary in turn (Cluster: sorted by address, each master scans only its own slots), for the
   * plain and the rewritten value keys. The cursor is `node.pattern.scanCursor.skip`: `skip` keys of the SCAN batch
   * at `scanCursor` were listed already (a page ended inside it). A Cluster whose primaries change between pages
   * restarts from a different node list: keys may then be missed or repeated, as with SCAN itself.
   */
  async scan(prefix: string, { cursor, limit }: L2ScanOptions): Promise<L2ScanPage> {
    const position = parseScanCursor(cursor, this.name)
    const patterns = countPatterns(prefix)
    const wanted = Math.max(1, limit)
    try {
      await this.#whenUsable()
      const nodes = this.#primaries()
      const keys: string[] = []
      let { node, pattern, scanCursor, skip } = position
      while (node < nodes.length && keys.length < wanted) {
        const [next, batch] = await nodes[node]!.scanBuffer(scanCursor, 'MATCH', patterns[pattern]!, 'COUNT', BROWSE_SCAN_COUNT)
        const available = batch.length - skip
        const taken = Math.min(available, wanted - keys.length)
        for (let i = skip; i < skip + taken; i++) keys.push(engineKeyOf(batch[i]!.toString('utf8')))
        if (taken < available) {
          skip += taken
          break
        }
        skip = 0
        scanCursor = next.toString()
        if (scanCursor !== '0') continue
        pattern++
        if (pattern === patterns.length) {
          pattern = 0
          node++
        }
      }
      return { keys, cursor: node >= nodes.length ? undefined : `${node}.${pattern}.${scanCursor}.${skip}` }
    } catch (error) {
      throw toStrataError(error, this.name)
    }
  }

  /** Every primary, in a stable order (a cursor names one by its index). */
  #primaries(): Redis[] {
    if (!this.#isCluster) return [this.#client as Redis]
    const address = (node: Redis) => `${node.options.host ?? ''}:${node.options.port ?? 0}`
    return (this.#client as Cluster).nodes('master').sort((a, b) => address(a).localeCompare(address(b)))
  }

  /**
   * SCAN MATCH + UNLINK in batches on every primary (Cluster: each master scans only its own keys), for the value
   * keys and then for their leases. UNLINK frees memory off the main thread. Keys written during the scan may survive.
   */
  async clear(prefix: string): Promise<void> {
    try {
      await this.#whenUsable()
      const nodes = this.#isCluster ? (this.#client as Cluster).nodes('master') : [this.#client as Redis]
      if (nodes.length === 0) throw new StrataError('E_L2_UNAVAILABLE', `The ${this.name} store has no reachable primary`)
      await Promise.all(
        nodes.map(async (node) => {
          for (const pattern of clearPatterns(prefix)) await this.#scanAndUnlink(node, pattern)
        }),
      )
    } catch (error) {
      throw toStrataError(error, this.name)
    }
  }

  async acquireLease(key: string, token: string, ttlMs: number): Promise<boolean> {
    try {
      if (this.#client.status !== 'ready') await this.#whenUsable()
      return (await this.#client.set(leaseKeyOf(key), token, 'PX', toPx(ttlMs), 'NX')) === 'OK'
    } catch (error) {
      throw toStrataError(error, this.name)
    }
  }

  async setWithLease(key: string, token: string, value: Uint8Array, ttlMs: number): Promise<boolean> {
    try {
      if (this.#client.status !== 'ready') await this.#whenUsable()
      return (await this.#client.strataSetWithLease(leaseKeyOf(key), valueKeyOf(key), token, asBuffer(value), toPx(ttlMs))) === 1
    } catch (error) {
      throw toStrataError(error, this.name)
    }
  }

  async deleteWithLease(key: string, token: string): Promise<boolean> {
    try {
      if (this.#client.status !== 'ready') await this.#whenUsable()
      return (await this.#client.strataDeleteWithLease(leaseKeyOf(key), valueKeyOf(key), token)) === 1
    } catch (error) {
      throw toStrataError(error, this.name)
    }
  }

  async releaseLease(key: string, token: string): Promise<void> {
    try {
      if (this.#client.status !== 'ready') await this.#whenUsable()
      await this.#client.strataReleaseLease(leaseKeyOf(key), token)
    } catch (error) {
      throw toStrataError(error, this.name)
    }
  }

  /** PING; on Cluster every master, since a shard without its primary is an outage for its keys. */
  async ping(): Promise<void> {
    try {
      await this.#whenUsable()
      if (!this.#isCluster) {
        await this.#client.ping()
        return
      }
      const masters = (this.#client as Cluster).nodes('master')
      if (masters.length === 0) throw new StrataError('E_L2_UNAVAILABLE', `The ${this.name} store has no reachable primary`)
      await Promise.all(masters.map((node) => node.ping()))
    } catch (error) {
      throw toStrataError(error, this.name)
    }
  }

  async disconnect(): Promise<void> {
    if (!this.#ownsClient || this.#client.status === 'end') return
    try {
      await this.#client.quit()
    } catch {
      this.#client.disconnect()
    }
  }

  /**
   * Groups of `keys` (as indexes) that may share one multi-key command: on a single node plain chunks; on Cluster one
   * hash slot per group, tagged with the primary serving it so that groups on one node share a pipeline.
   */
  #group(keys: readonly string[]): Group[] {
    const groups: Group[] = []
    if (!this.#isCluster) {
      for (let start = 0; start < keys.length; start += KEYS_PER_COMMAND) {
        const indexes = Array.from({ length: Math.min(KEYS_PER_COMMAND, keys.length - start) }, (_, i) => start + i)
        groups.push({ indexes, batch: 'single' })
      }
      return groups
    }
    const cluster = this.#client as Cluster
    const open = new Map<number, Group>()
    keys.forEach((key, index) => {
      const slot = hashSlot(key)
      let group = open.get(slot)
      if (group === undefined || group.indexes.length >= KEYS_PER_COMMAND) {
        // Before the slot map is known (first use), one pipeline per slot; ioredis waits for the map itself.
        group = { indexes: [], batch: cluster.slots[slot]?.join(',') ?? `slot:${slot}` }
        open.set(slot, group)
        groups.push(group)
      }
      group.indexes.push(index)
    })
    return groups
  }

  /**
   * Runs one command per group and returns the replies in group order. On a single node, one command or one pipeline.
   * On Cluster, always explicit pipelines, one per node: ioredis then finds each command's keys from the command table
   * (its auto-pipelining would route a variadic script by its key count) and follows MOVED/ASK for the whole pipeline.
   */
  async #run(groups: Group[], command: (target: Pipeline | Client, indexes: number[]) => unknown): Promise<unknown[]> {
    const replies = new Array<unknown>(groups.length)
    if (!this.#isCluster && groups.length === 1) {
      replies[0] = await (command(this.#client, groups[0]!.indexes))
      return replies
    }
    const batches = new Map<string, number[]>()
    groups.forEach((group, g) => {
      const batch = batches.get(group.batch)
      if (batch === undefined) batches.set(group.batch, [g])
      else batch.push(g)
    })
    await Promise.all(
      [...batches.values()].map(async (batch) => {
        const pipeline = this.#client.pipeline() as Pipeline
        for (const g of batch) command(pipeline, groups[g]!.indexes)
        const results = (await pipeline.exec()) ?? []
        batch.forEach((g, i) => {
          const [error, reply] = results[i] ?? [new Error('The pipeline returned no reply')]
          if (error) throw error
          replies[g] = reply
        })
      }),
    )
    return replies
  }

  async #scanCount(node: Redis, pattern: string): Promise<number> {
    let cursor = '0'
    let count = 0
    do {
      const [next, keys] = await node.scanBuffer(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT)
      cursor = next.toString()
      count += keys.length
    } while (cursor !== '0')
    return count
  }

  async #scanAndUnlink(node: Redis, pattern: string): Promise<void> {
    let cursor = '0'
    do {
      const [next, keys] = await node.scanBuffer(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT)
      cursor = next.toString()
      if (keys.length === 0) continue
      if (!this.#isCluster) {
        await node.unlink(...keys)
        continue
      }
      // A Cluster node refuses multi-key commands across slots, even slots it owns: one UNLINK per slot.
      const bySlot = new Map<number, Buffer[]>()
      for (const key of keys) {
        const slot = hashSlot(key)
        const list = bySlot.get(slot)
        if (list === undefined) bySlot.set(slot, [key])
        else list.push(key)
      }
      const pipeline = node.pipeline()
      for (const list of bySlot.values()) pipeline.unlink(...list)
      for (const [error] of (await pipeline.exec()) ?? []) {
        // A slot that migrated away mid-scan answers MOVED; its keys are now another node's, as with SCAN itself.
        if (error && !error.message.startsWith('MOVED') && !error.message.startsWith('ASK')) throw error
      }
    } while (cursor !== '0')
  }

  /**
   * Fail fast, except during the very first connection attempt: a store used right after construction waits for it
   * (bounded by connectWaitMs) instead of failing its first commands. Once that attempt has ended, an unready client
   * (reconnecting, or never reached) is reported unavailable at once. Clients whose owner enabled the offline queue
   * queue as configured.
   */
  async #whenUsable(): Promise<void> {
    const client = this.#client
    if (client.status === 'ready') return
    const offlineQueue = this.#isCluster ? (client as Cluster).options.enableOfflineQueue : (client as Redis).options.enableOfflineQueue
    if (offlineQueue === true && client.status !== 'wait' && client.status !== 'end') return
    if (client.status === 'end') throw new StrataError('E_L2_UNAVAILABLE', `The ${this.name} store was disconnected`, { context: { store: this.name } })
    if (this.#firstAttemptDone && client.status !== 'wait') {
      throw new StrataError('E_L2_UNAVAILABLE', `The ${this.name} store is not connected (${client.status})`, { context: { store: this.name } })
    }
    this.#firstConnection ??= this.#waitForFirstConnection().finally(() => {
      this.#firstConnection = undefined
    })
    await this.#firstConnection
  }

  async #waitForFirstConnection(): Promise<void> {
    const client = this.#client
    await new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer)
        client.off('ready', onReady)
        client.off('close', onClose)
        client.off('end', onClose)
        client.off('error', onError)
      }
      const fail = (reason: string, cause?: unknown): void => {
        cleanup()
        reject(new StrataError('E_L2_UNAVAILABLE', `The ${this.name} store cannot be reached: ${reason}`, { cause, context: { store: this.name } }))
      }
      let lastError: unknown
      const onReady = (): void => {
        cleanup()
        resolve()
      }
      const onError = (error: unknown): void => {
        lastError = error
      }
      const onClose = (): void => fail(lastError instanceof Error ? lastError.message : 'connection closed', lastError)
      const timer = setTimeout(() => fail(`no connection within ${this.#connectWaitMs} ms`, lastError), this.#connectWaitMs)
      client.on('ready', onReady)
      client.on('close', onClose)
      client.on('end', onClose)
      client.on('error', onError)
      if (client.status === 'wait') client.connect().catch((error: unknown) => fail(error instanceof Error ? error.message : 'connect failed', error))
    })
  }
}

/** ioredis writes Buffers as raw bytes but stringifies other Uint8Arrays: wrap without copying. */
function asBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}

/** PX takes whole milliseconds, at least 1. */
function toPx(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs))
}

/** `node.pattern.scanCursor.skip`, as scan() makes it; none is the start. */
function parseScanCursor(cursor: string | undefined, store: string): { node: number; pattern: number; scanCursor: string; skip: number } {
  if (cursor === undefined) return { node: 0, pattern: 0, scanCursor: '0', skip: 0 }
  const match = /^(\d{1,4})\.([01])\.(\d{1,20})\.(\d{1,6})$/.exec(cursor)
  if (match === null) throw new StrataError('E_INVALID_CURSOR', `This cursor was not made by the ${store} store`, { context: { store } })
  return { node: Number(match[1]), pattern: Number(match[2]), scanCursor: match[3]!, skip: Number(match[4]) }
}
