import type Memcached from 'memcached'
import { setTimeout as sleep } from 'node:timers/promises'
import { StrataError } from '../../errors/index.js'
import type { L2SetEntry, L2Store } from '../l2-store.js'
import { KetamaRing } from './ketama-ring.js'
import { escapedPrefixOf, matchesPrefix, memcachedKeyOf } from './memcached-keys.js'
import { decodeItem, encodeItem, exptimeFor, liveLease, liveValue, type Item } from './memcached-record.js'
import { MemcachedServer, ServerDownError, type ServerState } from './memcached-server.js'
import { listKeys } from './memcached-text-protocol.js'

export interface MemcachedStoreOptions {
  /** `host:port` of every server in the pool. */
  servers: readonly string[]
  /** Per-operation deadline. Default 1000 ms. */
  timeoutMs?: number
  /** Connect and probe deadline. Default 1000 ms. */
  connectTimeoutMs?: number
  /** How often a down server is probed. Default 1000 ms. */
  probeIntervalMs?: number
  /** Consecutive timeouts that take a server out; a socket error does at once. Default 3. */
  timeoutsBeforeDown?: number
  /**
   * Empty a server (flush_all) before it rejoins after being out. Default true: while it was out it missed deletes and
   * writes, ours and other processes', so what it still holds may be stale; serving it would resurrect deleted data.
   */
  flushOnRevive?: boolean
  /** Connections per server. Default 10 (the client's default). */
  poolSize?: number
  /** Keys per multi-get request. Default 100. */
  keysPerGet?: number
  /**
   * Copies of each key, on that many distinct servers of the ring (EVCache-style replication). Default 1. With 2, a
   * lost server does not empty its keys: reads go to the first copy whose server is in service, writes and deletes to
   * every copy. Costs one write per copy and the memory for it; reads cost the same.
   */
  replicas?: number
  /** Told when a server goes out of service or comes back (logs, metrics). */
  onServerStateChange?: (address: string, state: ServerState, reason: string) => void
}

export interface MemcachedServerHealth {
  address: string
  state: ServerState
  version: string
  itemSizeMax: number
}

/** What a call on a server that is out of service yields, where the caller must tell "down" from a result. */
const DOWN: unique symbol = Symbol('down')

/** Retries of a lease transition that lost a `cas` race to another writer, before reporting the lease as not won. */
const CAS_ATTEMPTS = 4

/**
 * L2 on a pool of memcached servers through the `memcached` client.
 *
 * Pooling: keys are placed by a fixed ketama ring (ketama-ring.ts), one `memcached` client per server
 * (memcached-server.ts). A server that fails is taken out: its keys read as misses and writes to it are dropped,
 * without errors, while the other servers serve on; it is probed every `probeIntervalMs` and rejoins, flushed, when it
 * answers. Keys are not moved to the survivors meanwhile (memcached's "failure, not failover" advice): processes that
 * disagree about which server is up would read and write different copies, and copies left on a survivor would later
 * be served stale. Only when every server is out do operations fail, with E_L2_UNAVAILABLE, so the engine's circuit
 * breaker can act.
 *
 * Replication (`replicas: 2`, EVCache-style): each key is also kept on the next distinct servers of the ring. Writes and
 * deletes go to every copy; reads go copy by copy until one has the value (a down server or a miss moves on), so losing
 * a server loses no key, nor does its rejoining flushed. A true miss costs one round trip per copy. Copies are not
 * moved to other servers. Reading past a miss is safe because a server that was out is flushed before it serves
 * again (`flushOnRevive`): a copy left by a delete it missed never comes back; keep it on with replicas.
 *
 * Leases live in the value's own item (memcached-record.ts) and every lease step is a gets + cas on that one item, so
 * setWithLease is atomic against delete and set, as on Redis. With replicas, the lease is on the key's first copy in
 * service and the fill writes the other copies just before its cas (and removes them if the cas fails). A lease on a server that is out cannot be held by anyone:
 * acquireLease answers true (the caller fills alone), setWithLease false (nothing was written).
 *
 * clear(prefix) lists keys with `lru_crawler metadump` on every server in service and deletes the matching ones;
 * servers out of service are flushed when they rejoin. TTLs are milliseconds, enforced by readers (see the record).
 */
export class MemcachedStore implements L2Store {
  readonly name = 'memcached'
  readonly #servers: MemcachedServer[]
  readonly #ring: KetamaRing<MemcachedServer>
  readonly #keysPerGet: number
  readonly #timeoutMs: number
  readonly #replicas: number

  constructor(options: MemcachedStoreOptions) {
    if (options.servers.length === 0) throw new StrataError('E_INVALID_OPTION', 'A memcached store needs at least one server')
    this.#timeoutMs = options.timeoutMs ?? 1000
    this.#keysPerGet = options.keysPerGet ?? 100
    const replicas = options.replicas ?? 1
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > options.servers.length) {
      throw new StrataError('E_INVALID_OPTION', `replicas must be an integer from 1 to the number of servers (${options.servers.length}), got ${String(replicas)}`, {
        context: { option: 'replicas', value: replicas },
      })
    }
    if (replicas > 1 && options.flushOnRevive === false) {
      // Reads go past a miss to the next copy: a server that rejoined unflushed could hold a copy a delete missed.
      throw new StrataError('E_INVALID_OPTION', 'replicas > 1 needs flushOnRevive (a rejoining server may hold copies that deletes missed)', {
        context: { option: 'flushOnRevive', value: false },
      })
    }
    this.#replicas = replicas
    const serverOptions = {
      timeoutMs: this.#timeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? 1000,
      probeIntervalMs: options.probeIntervalMs ?? 1000,
      timeoutsBeforeDown: options.timeoutsBeforeDown ?? 3,
      flushOnRevive: options.flushOnRevive ?? true,
      poolSize: options.poolSize ?? 10,
      onStateChange: options.onServerStateChange,
    }
    this.#servers = [...new Set(options.servers)].map((address) => new MemcachedServer(address, serverOptions))
    this.#ring = new KetamaRing(this.#servers.map((server) => ({ address: server.address, node: server })))
  }

  /** The server a key's first copy is placed on (for operators and tests). */
  serverOf(key: string): string {
    return this.#ring.nodeFor(memcachedKeyOf(key)).address
  }

  /** Every server holding a copy of the key, first copy first. */
  serversOf(key: string): string[] {
    return this.#copiesOf(memcachedKeyOf(key)).map((server) => server.address)
  }

  /** Each server's state as this process sees it. */
  health(): MemcachedServerHealth[] {
    return this.#servers.map((server) => ({
      address: server.address,
      state: server.state,
      version: server.version,
      itemSizeMax: server.itemSizeMax,
    }))
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const mkey = memcachedKeyOf(key)
    // Copy by copy until one has the value: a server found down is skipped, and so is a miss, which on a replicated
    // pool may be a server that was flushed when it rejoined while the next copy still holds the value.
    for (const server of this.#copiesOf(mkey)) {
      const data = await this.#on(server, DOWN, (client, cb: (error: unknown, data: unknown) => void) => client.get(mkey, cb))
      if (data === DOWN) continue
      const value = liveValue(decodeItem(data), Date.now())
      if (value !== undefined) return value
    }
    return undefined
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    if (keys.length === 0) return []
    const mkeys = keys.map(memcachedKeyOf)
    const found = new Map<string, unknown>()
    // Round r asks each key's r-th copy; keys its server did not have (down, or a miss) go on to the next copy.
    let pending = [...new Set(mkeys)]
    for (let round = 0; round < this.#replicas && pending.length > 0; round++) {
      const byServer = new Map<MemcachedServer, string[]>()
      for (const mkey of pending) {
        const server = this.#copiesOf(mkey)[round]!
        const list = byServer.get(server)
        if (list === undefined) byServer.set(server, [mkey])
        else list.push(mkey)
      }
      const unanswered: string[] = []
      const requests: Promise<void>[] = []
      // One multi-get per server (chunked so request lines stay short), all in flight together.
      for (const [server, list] of byServer) {
        for (let start = 0; start < list.length; start += this.#keysPerGet) {
          const chunk = list.slice(start, start + this.#keysPerGet)
          requests.push(
            this.#on(server, DOWN, (client, cb: (error: unknown, data: Record<string, unknown>) => void) => client.getMulti(chunk, cb)).then((data) => {
              if (data === DOWN) unanswered.push(...chunk)
              else {
                const now = Date.now()
                for (const mkey of chunk) {
                  if (mkey in data && liveValue(decodeItem(data[mkey]), now) !== undefined) found.set(mkey, data[mkey])
                  else unanswered.push(mkey)
                }
              }
            }),
          )
        }
      }
      await Promise.all(requests)
      pending = unanswered
    }
    const now = Date.now()
    return mkeys.map((mkey) => liveValue(decodeItem(found.get(mkey)), now))
  }

  async set(key: string, value: Uint8Array, ttlMs: number): Promise<void> {
    await this.#write(memcachedKeyOf(key), value, ttlMs, Date.now())
  }

  async setMany(entries: readonly L2SetEntry[]): Promise<void> {
    const now = Date.now()
    // Issued together: each server's client pipelines them over its connections.
    await Promise.all(entries.map((entry) => this.#write(memcachedKeyOf(entry.key), entry.value, entry.ttlMs, now)))
  }

  /** Deleting the item removes the value and any lease with it: a filler's later cas finds nothing and fails. */
  async delete(key: string): Promise<void> {
    const mkey = memcachedKeyOf(key)
    await Promise.all(this.#copiesOf(mkey).map((server) => this.#on(server, false, (client, cb: (error: unknown, deleted: boolean) => void) => client.del(mkey, cb))))
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.delete(key)))
  }

  async clear(prefix: string): Promise<void> {
    await this.#assertSomeServerUp()
    const escapedPrefix = escapedPrefixOf(prefix)
    await Promise.all(
      this.#servers.map(async (server) => {
        if (!(await server.ready())) return
        const keys = await this.#listKeys(server)
        const matching = keys.filter((mkey) => matchesPrefix(mkey, escapedPrefix))
        for (let start = 0; start < matching.length; start += this.#keysPerGet) {
          await Promise.all(
            matching
              .slice(start, start + this.#keysPerGet)
              .map((mkey) => this.#on(server, false, (client, cb: (error: unknown, deleted: boolean) => void) => client.del(mkey, cb))),
          )
        }
      }),
    )
  }

  async acquireLease(key: string, token: string, ttlMs: number): Promise<boolean> {
    const mkey = memcachedKeyOf(key)
    const server = await this.#leaseHome(mkey)
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const now = Date.now()
      const leaseExpiresAt = now + ttlMs
      const leaseOnly: Item = { value: undefined, valueExpiresAt: 0, leaseToken: token, leaseExpiresAt }
      // Nothing stored: add is insert-if-absent, so of concurrent callers exactly one creates the item.
      const added = await this.#on(server, DOWN, (client, cb: (error: unknown, stored: boolean) => void) =>
        client.add(mkey, encodeItem(leaseOnly), exptimeFor(leaseExpiresAt, now), cb),
      )
      if (added === DOWN) return true
      if (added) return true
      const current = await this.#gets(server, mkey)
      if (current === DOWN) return true
      if (current === undefined) continue // deleted since the add: try the add again
      if (liveLease(current.item, now) !== undefined) return false
      // A value (kept, so readers go on seeing it) or an expired lease: take the lease over with cas.
      const value = liveValue(current.item, now)
      const item: Item = { value, valueExpiresAt: current.item?.valueExpiresAt ?? 0, leaseToken: token, leaseExpiresAt }
      const swapped = await this.#cas(server, mkey, item, current.cas, Math.max(leaseExpiresAt, value === undefined ? 0 : item.valueExpiresAt), now)
      if (swapped === DOWN) return true
      if (swapped) return true
    }
    return false
  }

  async setWithLease(key: string, token: string, value: Uint8Array, ttlMs: number): Promise<boolean> {
    const mkey = memcachedKeyOf(key)
    const server = await this.#leaseHome(mkey)
    const now = Date.now()
    const current = await this.#gets(server, mkey)
    if (current === DOWN || current === undefined || liveLease(current.item, now) !== token) return false
    const expiresAt = now + ttlMs
    // The other copies are written before the lease's cas and removed again if it fails: a delete racing with this
    // fill reaches them too (deletes go to every copy) and either lands after our copy or makes the cas fail.
    const others = this.#copiesOf(mkey).filter((copy) => copy !== server)
    await Promise.all(others.map((copy) => this.#writeOn(copy, mkey, value, expiresAt, now)))
    // cas fails if anything touched the item since gets (a delete, a set, another holder after expiry): atomic.
    const item: Item = { value: asBuffer(value), valueExpiresAt: expiresAt, leaseToken: undefined, leaseExpiresAt: 0 }
    const stored = (await this.#cas(server, mkey, item, current.cas, expiresAt, now)) === true
    if (!stored) {
      await Promise.all(others.map((copy) => this.#on(copy, false, (client, cb: (error: unknown, deleted: boolean) => void) => client.del(mkey, cb))))
    }
    return stored
  }

  async deleteWithLease(key: string, token: string): Promise<boolean> {
    const mkey = memcachedKeyOf(key)
    const server = await this.#leaseHome(mkey)
    const now = Date.now()
    const current = await this.#gets(server, mkey)
    if (current === DOWN || current === undefined || liveLease(current.item, now) !== token) return false
    // The text protocol has no delete-if-cas: the item is swapped, by cas, for one that expires on the spot (as
    // releaseLease does), so a set or delete since the gets makes it fail and nothing is removed.
    const emptied: Item = { value: undefined, valueExpiresAt: 0, leaseToken: undefined, leaseExpiresAt: 0 }
    const removed = (await this.#cas(server, mkey, emptied, current.cas, -1, now)) === true
    if (removed) {
      const others = this.#copiesOf(mkey).filter((copy) => copy !== server)
      await Promise.all(others.map((copy) => this.#on(copy, false, (client, cb: (error: unknown, deleted: boolean) => void) => client.del(mkey, cb))))
    }
    return removed
  }

  async releaseLease(key: string, token: string): Promise<void> {
    const mkey = memcachedKeyOf(key)
    const server = await this.#leaseHome(mkey)
    const now = Date.now()
    const current = await this.#gets(server, mkey)
    if (current === DOWN || current === undefined || current.item?.leaseToken !== token) return
    const value = liveValue(current.item, now)
    // Keep the value; an item that held only the lease is expired on the spot (a negative exptime), by cas so that a
    // value written meanwhile is never removed. A lost cas means someone else changed the item: nothing left to do.
    const item: Item = { value, valueExpiresAt: current.item.valueExpiresAt, leaseToken: undefined, leaseExpiresAt: 0 }
    await this.#cas(server, mkey, item, current.cas, value === undefined ? -1 : item.valueExpiresAt, now)
  }

  /** Resolves when at least one server answers; probes servers that are out so a revival is noticed at once. */
  async ping(): Promise<void> {
    const states = await Promise.all(this.#servers.map((server) => (server.state === 'up' ? Promise.resolve(true) : server.probeNow())))
    if (!states.some(Boolean)) this.#throwAllDown()
    const up = this.#servers.find((server) => server.state === 'up')
    if (up !== undefined) {
      await this.#on(up, undefined, (client, cb: (error: unknown, versions: unknown) => void) => client.version(cb))
    }
  }

  async disconnect(): Promise<void> {
    for (const server of this.#servers) server.close()
    await Promise.resolve()
  }

  async #write(mkey: string, value: Uint8Array, ttlMs: number, now: number): Promise<void> {
    const expiresAt = now + ttlMs
    await Promise.all(this.#copiesOf(mkey).map((server) => this.#writeOn(server, mkey, value, expiresAt, now)))
  }

  async #writeOn(server: MemcachedServer, mkey: string, value: Uint8Array, expiresAt: number, now: number): Promise<void> {
    const item = encodeItem({ value: asBuffer(value), valueExpiresAt: expiresAt, leaseToken: undefined, leaseExpiresAt: 0 })
    // A plain set replaces the item, lease included: a write cancels any fill in progress, as the port requires.
    await this.#on(server, false, (client, cb: (error: unknown, stored: boolean) => void) => client.set(mkey, item, exptimeFor(expiresAt, now), cb))
  }

  /** The servers holding the key's copies, in ring order (one unless `replicas` is set). */
  #copiesOf(mkey: string): MemcachedServer[] {
    return this.#replicas === 1 ? [this.#ring.nodeFor(mkey)] : this.#ring.nodesFor(mkey, this.#replicas)
  }

  /**
   * Where the key's lease lives: its first copy in service (leases are not replicated; a fill writes the other copies
   * itself). Processes that agree on which servers are up agree on the home; when none is, the first copy, whose
   * calls then answer as a down server does (the caller fills alone).
   */
  async #leaseHome(mkey: string): Promise<MemcachedServer> {
    const copies = this.#copiesOf(mkey)
    for (const server of copies) if (await server.ready()) return server
    return copies[0]!
  }

  async #gets(server: MemcachedServer, mkey: string): Promise<typeof DOWN | { item: Item | undefined; cas: string } | undefined> {
    const data = await this.#on(server, DOWN, (client, cb: (error: unknown, data: Record<string, unknown> | undefined) => void) =>
      client.gets(mkey, cb as (error: unknown, data: { [key: string]: unknown; cas: string }) => void),
    )
    if (data === DOWN) return DOWN
    if (data === undefined || typeof data.cas !== 'string') return undefined
    return { item: decodeItem(data[mkey]), cas: data.cas }
  }

  async #cas(server: MemcachedServer, mkey: string, item: Item, cas: string, keepUntil: number, now: number): Promise<boolean | typeof DOWN> {
    const exptime = keepUntil < 0 ? -1 : exptimeFor(keepUntil, now)
    return this.#on(server, DOWN, (client, cb: (error: unknown, stored: boolean) => void) => client.cas(mkey, encodeItem(item), cas, exptime, cb))
  }

  /**
   * Runs a client call on the server that owns the key. A server out of service yields `whenDown` (a miss, a dropped
   * write), unless every server is out: then E_L2_UNAVAILABLE. Too-large values become E_VALUE_TOO_LARGE.
   */
  async #on<T, D>(server: MemcachedServer, whenDown: D, operation: (client: Memcached, callback: (error: unknown, result: T) => void) => void): Promise<T | D> {
    if (server.state !== 'up' && !(await server.ready())) return this.#degrade(whenDown)
    try {
      return await server.call(operation)
    } catch (error) {
      if (error instanceof ServerDownError) return this.#degrade(whenDown)
      if (error instanceof Error && error.message.startsWith('The length of the value is greater than')) {
        throw new StrataError('E_VALUE_TOO_LARGE', `The value does not fit in a memcached item on ${server.address} (item_size_max ${server.itemSizeMax} bytes; start memcached with a larger -I)`, {
          cause: error,
          context: { store: this.name, server: server.address, itemSizeMax: server.itemSizeMax },
        })
      }
      throw error
    }
  }

  #degrade<D>(whenDown: D): D {
    if (this.#servers.every((server) => server.state === 'down' || server.state === 'closed')) this.#throwAllDown()
    return whenDown
  }

  async #assertSomeServerUp(): Promise<void> {
    const ready = await Promise.all(this.#servers.map((server) => server.ready()))
    if (!ready.some(Boolean)) this.#throwAllDown()
  }

  async #listKeys(server: MemcachedServer): Promise<string[]> {
    // One crawl at a time per server: wait out another process' clear.
    for (let attempt = 0; ; attempt++) {
      const keys = await listKeys(server.address, Math.max(this.#timeoutMs, 10_000))
      if (keys !== undefined) return keys
      if (attempt >= 50) throw new StrataError('E_L2_UNAVAILABLE', `memcached ${server.address} stayed busy with another key crawl`)
      await sleep(100)
    }
  }

  #throwAllDown(): never {
    const closed = this.#servers.every((server) => server.state === 'closed')
    throw new StrataError('E_L2_UNAVAILABLE', closed ? 'The memcached store was disconnected' : `No memcached server of the pool answers (${this.#servers.map((s) => s.address).join(', ')})`, {
      context: { store: this.name, servers: this.#servers.map((s) => s.address) },
    })
  }
}

export function memcachedStore(options: MemcachedStoreOptions): MemcachedStore {
  return new MemcachedStore(options)
}

function asBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}
