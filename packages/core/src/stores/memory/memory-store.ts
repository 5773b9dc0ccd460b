/* eslint-disable @typescript-eslint/require-await -- the port is async; async methods turn a throw into a rejection, as a remote store would */
import { StrataError } from '../../errors/index.js'
import type { L2ScanOptions, L2ScanPage, L2SetEntry, L2Store } from '../l2-store.js'

export interface MemoryStoreOptions {
  /** Upper bound on stored value bytes; the oldest writes are dropped first beyond it. Default 256 MiB. */
  maxBytes?: number
  /** Upper bound on the number of keys (values and leases). Default unbounded. */
  maxEntries?: number
  /** Clock, injectable for tests. */
  now?: () => number
}

interface Slot {
  value: Uint8Array | undefined
  valueExpiresAt: number
  leaseToken: string | undefined
  leaseExpiresAt: number
}

const CURSOR_TAG = 'mem:'

/** How many slots each write inspects for expiry, so dead entries go away without a timer or a full sweep. */
const SWEEP_STEP = 3

/**
 * The in-process L2: the embedded single-process default and the reference the contract suite is checked against.
 * Same semantics as the remote stores, leases included. Bytes are copied on the way in and out, so neither the
 * writer nor a reader can change what another reader sees.
 *
 * Expiry is lazy (checked on read) plus a small incremental sweep on each write, like Redis' active expiry: no
 * timer per entry, no timer at all, and memory held by never-read expired entries is still reclaimed.
 * Eviction beyond the bounds is oldest-write-first (Map insertion order; a write re-inserts).
 */
export class MemoryStore implements L2Store {
  readonly name = 'memory'
  readonly #slots = new Map<string, Slot>()
  readonly #maxBytes: number
  readonly #maxEntries: number
  readonly #now: () => number
  #bytes = 0
  #sweepCursor: Iterator<[string, Slot]> | undefined
  #closed = false

  constructor(options: MemoryStoreOptions = {}) {
    this.#maxBytes = options.maxBytes ?? 256 * 1024 * 1024
    this.#maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY
    this.#now = options.now ?? Date.now
  }

  /** Number of live-or-not-yet-swept keys; for tests and stats. */
  get size(): number {
    return this.#slots.size
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.#assertOpen()
    return this.#read(key, this.#now())
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    this.#assertOpen()
    const now = this.#now()
    return keys.map((key) => this.#read(key, now))
  }

  async set(key: string, value: Uint8Array, ttlMs: number): Promise<void> {
    this.#assertOpen()
    this.#write(key, value, ttlMs, this.#now())
  }

  async setMany(entries: readonly L2SetEntry[]): Promise<void> {
    this.#assertOpen()
    const now = this.#now()
    for (const entry of entries) this.#write(entry.key, entry.value, entry.ttlMs, now)
  }

  async delete(key: string): Promise<void> {
    this.#assertOpen()
    this.#remove(key)
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    this.#assertOpen()
    for (const key of keys) this.#remove(key)
  }

  async deleteManyCounted(keys: readonly string[]): Promise<number> {
    this.#assertOpen()
    const now = this.#now()
    let found = 0
    for (const key of new Set(keys)) {
      if (this.#read(key, now) !== undefined) found++
      this.#remove(key)
    }
    return found
  }

  async clear(prefix: string): Promise<void> {
    this.#assertOpen()
    for (const key of this.#slots.keys()) {
      if (key.startsWith(prefix)) this.#remove(key)
    }
  }

  async count(prefix: string): Promise<number> {
    this.#assertOpen()
    const now = this.#now()
    let count = 0
    for (const key of this.#slots.keys()) {
      if (key.startsWith(prefix) && this.#read(key, now) !== undefined) count++
    }
    return count
  }

  /**
   * Keys in sorted order, the cursor being the last key listed: a listing survives writes in between (a Map's
   * insertion order does not, a write moves the key to the end). Sorting costs O(n log n) per page, which is fine for
   * an admin view of the in-process store.
   */
  async scan(prefix: string, { cursor, limit }: L2ScanOptions): Promise<L2ScanPage> {
    this.#assertOpen()
    let after: string | undefined
    if (cursor !== undefined) {
      if (!cursor.startsWith(CURSOR_TAG)) throw new StrataError('E_INVALID_CURSOR', 'This cursor was not made by the memory store', { context: { store: this.name } })
      after = cursor.slice(CURSOR_TAG.length)
    }
    const now = this.#now()
    const keys: string[] = []
    for (const [key, slot] of this.#slots) {
      if (slot.value !== undefined && slot.valueExpiresAt > now && key.startsWith(prefix) && (after === undefined || key > after)) keys.push(key)
    }
    keys.sort()
    const page = keys.slice(0, Math.max(1, limit))
    return { keys: page, cursor: keys.length > page.length ? CURSOR_TAG + page.at(-1)! : undefined }
  }

  async acquireLease(key: string, token: string, ttlMs: number): Promise<boolean> {
    this.#assertOpen()
    const now = this.#now()
    let slot = this.#slots.get(key)
    if (slot !== undefined && slot.leaseToken !== undefined && slot.leaseExpiresAt > now) return false
    if (slot === undefined) {
      slot = { value: undefined, valueExpiresAt: 0, leaseToken: undefined, leaseExpiresAt: 0 }
      this.#slots.set(key, slot)
      this.#evictBeyondBounds()
    }
    slot.leaseToken = token
    slot.leaseExpiresAt = now + ttlMs
    return true
  }

  async setWithLease(key: string, token: string, value: Uint8Array, ttlMs: number): Promise<boolean> {
    this.#assertOpen()
    const now = this.#now()
    const slot = this.#slots.get(key)
    if (slot === undefined || slot.leaseToken !== token || slot.leaseExpiresAt <= now) return false
    this.#write(key, value, ttlMs, now)
    return true
  }

  async deleteWithLease(key: string, token: string): Promise<boolean> {
    this.#assertOpen()
    const slot = this.#slots.get(key)
    if (slot === undefined || slot.leaseToken !== token || slot.leaseExpiresAt <= this.#now()) return false
    this.#slots.delete(key)
    return true
  }

  async releaseLease(key: string, token: string): Promise<void> {
    this.#assertOpen()
    const slot = this.#slots.get(key)
    if (slot === undefined || slot.leaseToken !== token) return
    slot.leaseToken = undefined
    slot.leaseExpiresAt = 0
    if (slot.value === undefined) this.#slots.delete(key)
  }

  async ping(): Promise<void> {
    this.#assertOpen()
  }

  /** Drops everything; later calls fail with E_L2_UNAVAILABLE, like a remote store whose connection was closed. */
  async disconnect(): Promise<void> {
    this.#closed = true
    this.#slots.clear()
    this.#bytes = 0
    this.#sweepCursor = undefined
  }

  #read(key: string, now: number): Uint8Array | undefined {
    const slot = this.#slots.get(key)
    if (slot?.value === undefined) return undefined
    if (slot.valueExpiresAt <= now) {
      this.#dropValue(key, slot, now)
      return undefined
    }
    return new Uint8Array(slot.value)
  }

  #write(key: string, value: Uint8Array, ttlMs: number, now: number): void {
    const previous = this.#slots.get(key)
    if (previous?.value !== undefined) this.#bytes -= previous.value.byteLength
    // Delete then set moves the key to the end of the insertion order: eviction drops the oldest writes first.
    this.#slots.delete(key)
    const copy = new Uint8Array(value)
    this.#slots.set(key, { value: copy, valueExpiresAt: now + ttlMs, leaseToken: undefined, leaseExpiresAt: 0 })
    this.#bytes += copy.byteLength
    this.#sweep(now)
    this.#evictBeyondBounds()
  }

  #remove(key: string): void {
    const slot = this.#slots.get(key)
    if (slot === undefined) return
    if (slot.value !== undefined) this.#bytes -= slot.value.byteLength
    this.#slots.delete(key)
  }

  #dropValue(key: string, slot: Slot, now: number): void {
    if (slot.value !== undefined) this.#bytes -= slot.value.byteLength
    slot.value = undefined
    if (slot.leaseToken === undefined || slot.leaseExpiresAt <= now) this.#slots.delete(key)
  }

  #sweep(now: number): void {
    for (let i = 0; i < SWEEP_STEP; i++) {
      this.#sweepCursor ??= this.#slots.entries()
      const next = this.#sweepCursor.next()
      if (next.done === true) {
        this.#sweepCursor = undefined
        return
      }
      const [key, slot] = next.value
      const valueDead = slot.value === undefined || slot.valueExpiresAt <= now
      const leaseDead = slot.leaseToken === undefined || slot.leaseExpiresAt <= now
      if (valueDead && leaseDead) this.#remove(key)
      else if (valueDead && slot.value !== undefined) this.#dropValue(key, slot, now)
    }
  }

  #evictBeyondBounds(): void {
    while (this.#slots.size > 0 && (this.#bytes > this.#maxBytes || this.#slots.size > this.#maxEntries)) {
      const oldest = this.#slots.keys().next()
      if (oldest.done === true) return
      this.#remove(oldest.value)
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new StrataError('E_L2_UNAVAILABLE', 'The memory store was disconnected', { context: { store: this.name } })
  }
}

export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  return new MemoryStore(options)
}
