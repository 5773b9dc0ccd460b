/**
 * The L2 port: a remote (or in-process) byte store shared by every cache instance. Keys arrive fully formed from the
 * engine (prefix, namespace and hash tag already applied); values are opaque encoded bytes. Drivers declare only
 * what the engine actually needs, so a new backend is a small file.
 *
 * Every bulk method is one round trip per server touched (MGET / pipeline / multi-get), never a loop of single calls.
 * Absent keys read as `undefined`. TTLs are milliseconds and always > 0 (the engine never writes without one).
 *
 * The contract every driver passes is `runL2ContractSuite` in `@strata/core/testing`.
 */
export interface L2Store {
  /** Short name for stats, logs and errors: `memory`, `redis`, `redis-sentinel`, `redis-cluster`, `memcached`. */
  readonly name: string

  get(key: string): Promise<Uint8Array | undefined>
  getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]>
  /**
   * Writes unconditionally and cancels any lease held on the key: a write is newer than whatever a lease holder is
   * still loading, so that holder's `setWithLease` must fail rather than overwrite it.
   */
  set(key: string, value: Uint8Array, ttlMs: number): Promise<void>
  setMany(entries: readonly L2SetEntry[]): Promise<void>
  /** Deletes the key and any lease held on it, so a fill that started earlier cannot write after the delete. */
  delete(key: string): Promise<void>
  deleteMany(keys: readonly string[]): Promise<void>
  /**
   * `deleteMany` that also answers how many of the (distinct) keys had a value, as `getMany` would have found them
   * (expired but graced included), counted in the same atomic step and round trip as the delete: an invalidation's count and its
   * delete are then one round trip, not two. Optional: without it callers count with `getMany` first.
   */
  deleteManyCounted?(keys: readonly string[]): Promise<number>
  /**
   * Removes every key that starts with `prefix`, and the leases on them (admin operation; may scan, unlike tag
   * invalidation). Like SCAN, keys written while the clear runs may survive it.
   */
  clear(prefix: string): Promise<void>
  /**
   * How many value keys start with `prefix` (admin dry runs; may scan). Optional: a store that cannot list its keys
   * cheaply (Memcached) leaves it out, and callers report the count as unknown.
   */
  count?(prefix: string): Promise<number>
  /**
   * One page of the value keys that start with `prefix`, as the engine wrote them (admin browsing; may scan). Pass the
   * `cursor` the previous page returned, none for the first; the page's cursor is undefined once everything was
   * listed. At most `limit` keys per page (a page may hold fewer, even none, and still have a cursor). Like SCAN, keys
   * written or deleted while a listing goes on may be missed or listed twice; the rest are listed once. A cursor this
   * store did not make is refused with E_INVALID_CURSOR. Optional, like `count`: Memcached leaves it out.
   */
  scan?(prefix: string, options: L2ScanOptions): Promise<L2ScanPage>

  /**
   * Leases (Facebook's memcache paper, §3.2.1): one filler per key across the fleet, and no stale set after a delete.
   * `acquireLease` succeeds for one caller until the lease expires, is released, or the key is deleted or set.
   * A lease never hides the current value: readers keep seeing it while the holder refreshes it.
   */
  acquireLease(key: string, token: string, ttlMs: number): Promise<boolean>
  /** Writes the value only if `token` still holds the lease on `key`, then releases it. False if the lease was lost. */
  setWithLease(key: string, token: string, value: Uint8Array, ttlMs: number): Promise<boolean>
  /**
   * Deletes the key only if `token` still holds its lease (releasing it too), atomically against sets and deletes.
   * False if the lease was lost: nothing was deleted. What a conditional delete (`deleteIf`) ends with.
   */
  deleteWithLease(key: string, token: string): Promise<boolean>
  releaseLease(key: string, token: string): Promise<void>

  /** Cheap liveness probe used by health checks and the circuit breaker's recovery. */
  ping(): Promise<void>
  /** Closes connections the driver opened (never a client the user passed in, unless asked to). */
  disconnect(): Promise<void>
}

export interface L2ScanOptions {
  cursor?: string | undefined
  limit: number
}

export interface L2ScanPage {
  keys: string[]
  cursor: string | undefined
}

export interface L2SetEntry {
  key: string
  value: Uint8Array
  ttlMs: number
}
