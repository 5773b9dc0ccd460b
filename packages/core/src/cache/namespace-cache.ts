import { randomUUID } from 'node:crypto'
import { decodeEntry, encodeEntry, type EntryCodecOptions } from '../codecs/entry-codec.js'
import { StrataError, isStrataError } from '../errors/index.js'
import type { CacheEntry } from '../model/cache-entry.js'
import type { CachePolicy, WriteMode } from '../model/cache-policy.js'
import type { L2SetEntry } from '../stores/l2-store.js'
import type { CacheCore } from './cache-core.js'
import type { CacheEventMap, CacheListener, InvalidationKind, Tier } from './cache-events.js'
import { NamespaceStats, type StatsSnapshot } from './cache-stats.js'
import { KeySpace, assertKey, assertTags } from './key-space.js'
import { resolveEntryOptions, validateEntryOptions, type EntryOptions, type GetOptions, type ResolvedEntryOptions, type SetEntryOptions, type SetOptions } from './entry-options.js'
import type { EntryInfo, EntryResult, EntrySource, LoaderContext, Loader, BatchLoader, NamespaceHooks, NamespaceOptions } from './namespace-types.js'
import type { StoredEntry } from './l1-tier.js'
import type { InvalidationMessage } from './ports.js'
import { KeyGuard, type WriteCondition } from './key-guard.js'
import type { Flight } from './single-flight.js'
import { TagRegistry } from './tag-registry.js'
import { freshness, newest, overtakenByTag, servesFromL1 } from './entry-freshness.js'
import { sleep, withTimeout, TIMED_OUT } from './timing.js'

type Candidate = StoredEntry | undefined

/** A copy a read found or loaded: where from, whether past its ttl (within grace), whether it is in the cache. */
interface Found {
  readonly entry: StoredEntry
  readonly source: EntrySource
  readonly stale: boolean
  /** False for a loaded value that was answered but not cached (skipCache, overtaken by an invalidation, too large). */
  readonly cached: boolean
}

/**
 * One namespace of a Strata cache: the cache-aside, read-through, write-through and write-behind API over L1 and L2,
 * with stampede protection, grace and fail-safe, refresh-ahead and tag invalidation. Obtain it from
 * `createCache(...).namespace(name, policy)`; the cache itself is the `default` namespace.
 */
export class NamespaceCache<T = unknown> {
  readonly name: string
  private readonly l1: CacheCore['l1']
  readonly policy: CachePolicy
  private readonly keys: KeySpace
  private readonly tags: TagRegistry
  private readonly counters: NamespaceStats
  private readonly codecOptions: EntryCodecOptions
  private readonly encodeForL1: boolean
  private readonly guard: KeyGuard
  /** The policy's entry options, resolved once: a write without per-call options allocates none. */
  private readonly policyEntryOptions: ResolvedEntryOptions

  constructor(
    protected readonly core: CacheCore,
    name: string,
    policy: CachePolicy,
    private readonly hooks: NamespaceHooks<T> = {},
    previous?: NamespaceCache<unknown>,
  ) {
    this.keys = new KeySpace(core.prefix, name)
    this.l1 = core.l1
    this.name = name
    this.policy = policy
    // A redefined namespace keeps its tag records (or entries invalidated by tag would turn fresh again) and counters
    // (Prometheus counters must not go backwards).
    this.tags = previous?.tags ?? new TagRegistry(() => this.policy.maxTtl)
    this.counters = previous?.counters ?? new NamespaceStats()
    this.codecOptions = { codec: policy.codec, compressAbove: policy.compressAbove, encryption: policy.encryption }
    this.encodeForL1 = core.l1BoundedByBytes
    this.guard = previous?.guard ?? new KeyGuard(core.l2, core.now)
    this.policyEntryOptions = resolveEntryOptions(policy, undefined)
    core.codecs.set(policy.codec.id, policy.codec)
    core.registerNamespace(name, (message) => this.applyRemote(message))
  }

  // ---------------------------------------------------------------- reads
  //
  // Every single-key read walks the same steps, top to bottom (the way bentocache's two-tier handler reads):
  //   1. L1: a fresh copy this instance trusts answers (`servesFromL1`), counted as an L1 hit.
  //   2. L2: a fresh entry answers and is copied to L1, counted as an L2 hit (`readBelowL1`).
  //   3. A miss. The newest copy still in grace is the stale candidate: `get` answers it only with allowStale;
  //      `getOrSet` loads (`loadAndAnswer`) and falls back on it after a soft timeout or a failed load (fail-safe).
  // Whether a copy is fresh, stale or gone is decided in one place: entry-freshness.ts.

  /** Cache-aside read: the fresh value, or undefined. */
  get(key: string, options?: GetOptions): Promise<T | undefined> {
    // Kept small so V8 inlines it: an L1 hit answers here, everything else goes to the async slow path, which also
    // turns a closed cache or a bad key into a rejected promise (a Promise-returning call never throws synchronously).
    // `fastReads` is false when closed or when a beforeGet hook exists: the slow path runs those hooks.
    if (!this.core.fastReads || typeof key !== 'string') return this.getSlow(key, undefined, options)
    const l1Entry = this.l1?.get(this.keys.l1Key(key))
    const now = this.core.coarseNow()
    if (servesFromL1(l1Entry, now, this.core.l1TrustedUntil, this.tags)) {
      this.l1Hit(key, l1Entry, now, this.hooks.loader, undefined)
      return Promise.resolve(l1Entry.value as T)
    }
    return this.getSlow(key, l1Entry, options)
  }

  /**
   * The fresh L1 copy of a key, synchronously, or undefined — Caffeine's `getIfPresent`, lru-cache's `get`: never
   * reads L2, never loads, never waits, so a hot path can answer without a promise and call `get` only when this
   * gives nothing. The copy is one `get` would answer (same trust in L1 while the invalidation stream is heard, same
   * freshness and tag checks); an answer counts as an L1 hit and may start a refresh-ahead, while undefined counts
   * nothing (a miss is `get`'s to count). A closed cache or an invalid key throws, synchronously.
   */
  getIfPresent(key: string): T | undefined {
    const l1Entry = this.l1Lookup(key)
    const now = this.core.coarseNow()
    if (!servesFromL1(l1Entry, now, this.core.l1TrustedUntil, this.tags)) return undefined
    this.l1Hit(key, l1Entry, now, this.hooks.loader, undefined)
    return l1Entry.value as T
  }

  /**
   * `get` that answers the whole entry (value, version, times, tags) from the same lookup, for callers that need the
   * metadata with the value (the gateway's ETag and Age headers) without a second `inspect`. The entry is the
   * cache's own, read-only object.
   */
  getEntry(key: string, options?: GetOptions): Promise<CacheEntry<T> | undefined> {
    if (!this.core.fastReads || typeof key !== 'string') return this.getEntrySlow(key, undefined, options)
    const l1Entry = this.l1?.get(this.keys.l1Key(key))
    const now = this.core.coarseNow()
    if (servesFromL1(l1Entry, now, this.core.l1TrustedUntil, this.tags)) {
      this.l1Hit(key, l1Entry, now, this.hooks.loader, undefined)
      return Promise.resolve(l1Entry as CacheEntry<T>)
    }
    return this.getEntrySlow(key, l1Entry, options)
  }

  private async getSlow(key: string, l1Entry: StoredEntry | undefined, options: GetOptions | undefined): Promise<T | undefined> {
    return (await this.getEntrySlow(key, l1Entry, options))?.value
  }

  private async getEntrySlow(key: string, l1Entry: StoredEntry | undefined, options: GetOptions | undefined): Promise<CacheEntry<T> | undefined> {
    this.assertOpen()
    if (this.core.hooks.active.beforeGet) {
      assertKey(key, this.policy.maxKeyLength, this.name)
      this.core.hooks.run('beforeGet', { namespace: this.name, key })
      // The hit path was skipped to run the hooks, so the L1 lookup happens here.
      if (l1Entry === undefined) l1Entry = this.l1?.get(this.keys.l1Key(key))
    }
    const now = this.core.coarseNow()
    if (servesFromL1(l1Entry, now, this.core.l1TrustedUntil, this.tags)) {
      this.l1Hit(key, l1Entry, now, this.hooks.loader, undefined)
      return l1Entry as CacheEntry<T>
    }
    // Only a miss needs the full key check: whatever is in L1 was checked when it was set.
    assertKey(key, this.policy.maxKeyLength, this.name)
    const found = await this.readBelowL1(key, l1Entry, now, this.hooks.loader, undefined)
    if (found?.stale === false) return found.entry as CacheEntry<T>
    if (found !== undefined && options?.allowStale) return this.servedStale(key, found).entry as CacheEntry<T>
    this.countMiss(key)
    return undefined
  }

  /**
   * Read-through: the fresh value, else one load for all concurrent callers (in this process, and across the fleet
   * with `stampede: 'fleet'`), serving a stale value within grace when the loader fails (fail-safe) or is slower
   * than `softTimeout`.
   */
  async getOrSet(key: string, loader?: Loader<T>, options?: EntryOptions): Promise<T> {
    const l1Entry = this.l1Lookup(key)
    const now = this.core.coarseNow()
    const load = this.readThroughLoader(key, loader, options)
    if (servesFromL1(l1Entry, now, this.core.l1TrustedUntil, this.tags)) {
      this.l1Hit(key, l1Entry, now, load, options)
      return l1Entry.value as T
    }
    return (await this.readThrough(key, load, options, l1Entry, now)).entry.value as T
  }

  /**
   * `getOrSet` answering the value with its metadata from the same walk: which tier answered (or the loader), whether
   * it was stale or not cached, and the entry's version, times and tags. What an HTTP front needs for ETag, Age and
   * Cache-Status without reading the key a second time. The same steps as `getOrSet`; only the answer is richer.
   */
  async getOrSetEntry(key: string, loader?: Loader<T>, options?: EntryOptions): Promise<EntryResult<T>> {
    const l1Entry = this.l1Lookup(key)
    const now = this.core.coarseNow()
    const load = this.readThroughLoader(key, loader, options)
    if (servesFromL1(l1Entry, now, this.core.l1TrustedUntil, this.tags)) {
      this.l1Hit(key, l1Entry, now, load, options)
      return resultOf({ entry: l1Entry, source: 'l1', stale: false, cached: true })
    }
    return resultOf(await this.readThrough(key, load, options, l1Entry, now))
  }

  /**
   * The hot path shared by every read: an L1 lookup with no allocation for the default namespace. Invalid keys
   * (not strings) are refused here; other checks wait for a miss.
   */
  private l1Lookup(key: string): StoredEntry | undefined {
    if (!this.core.fastReads) this.beforeRead(key)
    else if (typeof key !== 'string') assertKey(key, this.policy.maxKeyLength, this.name)
    return this.l1?.get(this.keys.l1Key(key))
  }

  /** What a read does off the fast path: refuse a closed cache, then run the beforeGet hooks on a valid key. */
  private beforeRead(key: string): void {
    this.assertOpen()
    if (typeof key !== 'string') assertKey(key, this.policy.maxKeyLength, this.name)
    if (this.core.hooks.active.beforeGet) {
      assertKey(key, this.policy.maxKeyLength, this.name)
      this.core.hooks.run('beforeGet', { namespace: this.name, key })
    }
  }

  /**
   * The loader a read-through uses. Without per-call options an L1 hit needs no checks (the key was checked when the
   * entry was set; `readThrough` checks it on a miss); per-call options are refused before anything is answered.
   */
  private readThroughLoader(key: string, loader: Loader<T> | undefined, options: EntryOptions | undefined): Loader<T> {
    const load = loader ?? this.hooks.loader
    if (options === undefined && load !== undefined) return load
    assertKey(key, this.policy.maxKeyLength, this.name)
    if (load === undefined) {
      throw new StrataError('E_INVALID_OPTION', `getOrSet on namespace '${this.name}' needs a loader (none configured)`, {
        context: { namespace: this.name },
      })
    }
    if (options !== undefined) validateEntryOptions(this.policy, this.name, options)
    return load
  }

  /** Step 1 answered: count the hit, and start a refresh-ahead when the entry is old enough. */
  private l1Hit(key: string, entry: StoredEntry, now: number, load: Loader<T> | undefined, options: EntryOptions | undefined): void {
    this.counters.l1Hits++
    if (this.core.events.listening.hit === true) this.emitHit(key, 'l1', false)
    if (this.policy.refreshAhead !== undefined || options?.refreshAhead !== undefined) this.maybeRefreshAhead(key, entry, now, load, options)
  }

  /** Steps 2 and 3 of `getOrSet`: L2, else a load (shared with concurrent callers) falling back on the stale candidate. */
  private async readThrough(key: string, load: Loader<T>, options: EntryOptions | undefined, l1Entry: Candidate, now: number): Promise<Found> {
    assertKey(key, this.policy.maxKeyLength, this.name)
    const found = await this.readBelowL1(key, l1Entry, now, load, options)
    if (found?.stale === false) return found
    return this.loadAndAnswer(key, load, options, found)
  }

  /**
   * Step 2, and the candidate of step 3: L2's entry when fresh (an L2 hit, copied to L1, maybe refreshed ahead), else
   * the newest copy of L1's and L2's still in grace (`stale: true`), else undefined.
   */
  private async readBelowL1(key: string, l1Entry: Candidate, now: number, load: Loader<T> | undefined, options: EntryOptions | undefined): Promise<Found | undefined> {
    const l2Entry = await this.readL2(key)
    const preciseNow = this.core.now()
    if (l2Entry !== undefined && freshness(l2Entry, preciseNow, this.tags) === 'fresh') {
      this.counters.l2Hits++
      this.emitHit(key, 'l2', false)
      this.writeL1(key, l2Entry, options?.l1Ttl ?? this.policy.l1Ttl)
      this.maybeRefreshAhead(key, l2Entry, now, load, options)
      return { entry: l2Entry, source: 'l2', stale: false, cached: true }
    }
    const candidate = newest(l1Entry, l2Entry)
    if (candidate === undefined || freshness(candidate, preciseNow, this.tags) !== 'stale') return undefined
    return { entry: candidate, source: candidate === l2Entry ? 'l2' : 'l1', stale: true, cached: true }
  }

  /** `coalesced`: a load of the key is already under way here, which this read joins instead of starting one. */
  private countMiss(key: string, coalesced = false): void {
    if (coalesced) this.counters.coalesced++
    else this.counters.misses++
    if (this.core.events.has('miss')) this.core.events.emit('miss', coalesced ? { namespace: this.name, key, coalesced } : { namespace: this.name, key })
  }

  /** Metadata of an entry (tier, times, version, tags, size) without counting a hit; for tools and the console. */
  async inspect(key: string): Promise<EntryInfo<T> | undefined> {
    this.assertOpen()
    assertKey(key, this.policy.maxKeyLength, this.name)
    const now = this.core.now()
    // An L1 copy this instance cannot vouch for (the invalidation stream unheard) is not reported: L2 is the truth.
    const l1Entry = now < this.core.l1TrustedUntil ? this.core.l1?.peek(this.keys.l1Key(key)) : undefined
    if (l1Entry !== undefined) {
      const state = freshness(l1Entry, now, this.tags)
      if (state !== 'gone') return { ...(l1Entry as CacheEntry<T>), tier: 'l1', state }
    }
    const l2Entry = await this.readL2(key)
    if (l2Entry === undefined) return undefined
    const state = freshness(l2Entry, now, this.tags)
    return state === 'gone' ? undefined : { ...(l2Entry as CacheEntry<T>), tier: 'l2', state }
  }

  /** `inspect` for several keys: one L2 round trip for those not in L1; undefined where an entry is gone. */
  async inspectMany(keys: readonly string[]): Promise<(EntryInfo<T> | undefined)[]> {
    this.assertOpen()
    const now = this.core.now()
    const infos = new Array<EntryInfo<T> | undefined>(keys.length)
    const fromL2: number[] = []
    const trusted = now < this.core.l1TrustedUntil
    keys.forEach((key, index) => {
      assertKey(key, this.policy.maxKeyLength, this.name)
      const l1Entry = trusted ? this.core.l1?.peek(this.keys.l1Key(key)) : undefined
      const state = l1Entry === undefined ? 'gone' : freshness(l1Entry, now, this.tags)
      if (state === 'gone') fromL2.push(index)
      else infos[index] = { ...(l1Entry as CacheEntry<T>), tier: 'l1', state }
    })
    if (fromL2.length === 0 || this.core.l2 === undefined) return infos
    const entries = await this.readManyL2(fromL2.map((index) => keys[index]!))
    fromL2.forEach((index, i) => {
      const entry = entries[i]
      const state = entry === undefined ? 'gone' : freshness(entry, now, this.tags)
      if (entry !== undefined && state !== 'gone') infos[index] = { ...(entry as CacheEntry<T>), tier: 'l2', state }
    })
    return infos
  }

  /**
   * One page of this namespace's keys in L2 that start with `prefix` (an admin view: the store scans, this is no hot
   * path). Pass the cursor of the previous page; undefined once all were listed. E_UNSUPPORTED_BY_STORE when the L2
   * store cannot list keys (Memcached) or there is no L2; E_INVALID_CURSOR for a cursor it did not make.
   */
  async scanKeys(prefix: string, options: { cursor?: string | undefined; limit: number }): Promise<{ keys: string[]; cursor: string | undefined }> {
    this.assertOpen()
    const l2 = this.core.l2
    if (l2 === undefined) throw new StrataError('E_UNSUPPORTED_BY_STORE', 'This cache has no L2 store to list keys from', { context: { namespace: this.name } })
    const page = await l2.scan(this.keys.l2Key(prefix), options)
    return { keys: page.keys.map((l2Key) => this.keys.keyOfL2(l2Key)), cursor: page.cursor }
  }

  async has(key: string): Promise<boolean> {
    return (await this.inspect(key))?.state === 'fresh'
  }

  // ---------------------------------------------------------------- loads

  /** Waits for the (shared) load, bounded by the soft and hard timeouts, falling back on the stale candidate. */
  private async loadAndAnswer(key: string, load: Loader<T>, options: EntryOptions | undefined, candidate: Found | undefined): Promise<Found> {
    // Counted in the same synchronous step that starts or joins the load, so each load has exactly one miss: reads
    // whose L2 answers arrived together would otherwise all see no flight yet and all count as misses.
    this.countMiss(key, this.core.flights.get(this.keys.l1Key(key)) !== undefined)
    const flight = this.startLoad(key, load, options, candidate)
    const softTimeout = options?.softTimeout ?? this.policy.softTimeout
    const hardTimeout = options?.hardTimeout ?? this.policy.hardTimeout
    try {
      if (candidate !== undefined && softTimeout !== undefined) {
        const early = await withTimeout(flight.promise, softTimeout)
        return early === TIMED_OUT ? this.servedStale(key, candidate) : early
      }
      if (hardTimeout !== undefined) {
        const result = await withTimeout(flight.promise, hardTimeout)
        if (result === TIMED_OUT) {
          this.counters.loadTimeouts++
          if (candidate !== undefined) return this.failSafe(key, candidate, new StrataError('E_LOADER_TIMEOUT', 'Loader timed out'))
          throw new StrataError('E_LOADER_TIMEOUT', `Loading '${key}' took longer than the hard timeout of ${hardTimeout} ms`, {
            context: { namespace: this.name, key, timeoutMs: hardTimeout },
          })
        }
        return result
      }
      return await flight.promise
    } catch (error) {
      if (candidate !== undefined && !isStrataError(error, 'E_LOADER_TIMEOUT')) return this.failSafe(key, candidate, error)
      throw error
    }
  }

  /** Joins the load of `key` under way in this process, or starts one. */
  private startLoad(key: string, load: Loader<T>, options: EntryOptions | undefined, candidate: Found | undefined): Flight<Found> {
    const l1Key = this.keys.l1Key(key)
    const flight = this.core.flights.join<Found>(l1Key, (self) => this.runLoad(key, load, options, candidate, self))
    // Callers that stopped waiting (soft/hard timeout) must not turn a later failure into an unhandled rejection.
    flight.promise.catch(() => undefined)
    return flight
  }

  private async runLoad(key: string, load: Loader<T>, options: EntryOptions | undefined, candidate: Found | undefined, flight: Flight<Found>): Promise<Found> {
    const stampede = options?.stampede ?? this.policy.stampede
    const l2 = this.core.l2
    let leaseToken: string | undefined
    if (stampede === 'fleet' && l2 !== undefined && l2.available) {
      const l2Key = this.keys.l2Key(key)
      const leaseTtl = this.policy.leaseTtl
      const token = randomUUID()
      const outcome = await l2.acquireLease(l2Key, token, leaseTtl)
      if (outcome === 'acquired') leaseToken = token
      else if (outcome === 'busy') {
        // Another process is filling this key: serve what we have, or wait for its value (or for its lease to go).
        if (candidate !== undefined) return candidate
        this.counters.leaseWaits++
        const waited = await this.waitForFill(key, l2Key, token, this.core.now() + leaseTtl)
        if (waited === undefined) {
          // The lease was held for its whole ttl without a value: load without it rather than fail the caller.
        } else if (waited === 'acquired') leaseToken = token
        else return { entry: waited, source: 'l2', stale: false, cached: true }
      }
      if (leaseToken !== undefined) {
        // One version per fill: another process may have filled the key between our L2 miss and our lease (its fill
        // released the lease). Loading again would put a second version in L2 while its L1 keeps the first, and a
        // client's If-Match taken from one would fail against the other. (A refresh of the entry it already has
        // still loads: only a newer entry counts as filled.)
        const filled = await this.readL2(key)
        if (filled !== undefined && (candidate === undefined || filled.version > candidate.entry.version) && freshness(filled, this.core.now(), this.tags) === 'fresh') {
          await l2.releaseLease(l2Key, leaseToken)
          if (!flight.invalidated) this.writeL1(key, filled, options?.l1Ttl ?? this.policy.l1Ttl)
          return { entry: filled, source: 'l2', stale: false, cached: true }
        }
      }
    }

    const startedAt = this.core.now()
    const chosen: Partial<ResolvedEntryOptions> = {}
    let skip = false
    const context: LoaderContext<T> = {
      key,
      namespace: this.name,
      stale: candidate?.entry.value as T | undefined,
      signal: this.core.lifetime.signal,
      setTtl: (ttl) => this.choose(chosen, { ttl }),
      setTags: (tags) => this.choose(chosen, { tags }),
      setOptions: (picked) => this.choose(chosen, picked),
      skipCache: () => {
        skip = true
      },
    }
    this.counters.loads++
    let value: T
    try {
      value = await load(context)
    } catch (error) {
      this.counters.loadErrors++
      this.emitLoad(key, startedAt, false)
      if (leaseToken !== undefined) await l2!.releaseLease(this.keys.l2Key(key), leaseToken)
      throw new StrataError('E_LOADER_FAILED', `Loader for '${key}' failed: ${errorMessage(error)}`, {
        cause: error,
        context: { namespace: this.name, key },
      })
    }
    this.emitLoad(key, startedAt, true)
    if (this.core.hooks.active.afterLoad) this.core.hooks.run('afterLoad', { namespace: this.name, key, value, durationMs: this.core.now() - startedAt })
    const resolved = resolveEntryOptions(this.policy, { ...options, ...chosen })
    const entry = this.makeEntry(value, startedAt, resolved)
    if (skip || value === undefined) {
      if (leaseToken !== undefined) await l2!.releaseLease(this.keys.l2Key(key), leaseToken)
      return { entry, source: 'loader', stale: false, cached: false }
    }
    const stored = await this.store(key, entry, resolved.l1Ttl, { flight, leaseToken })
    return { entry: stored ?? entry, source: 'loader', stale: false, cached: stored !== undefined }
  }

  /**
   * Waits for the value another process is loading under its lease, polling L2 with a backoff up to 100 ms. Each
   * poll also tries the lease: an invalidation deletes it with the key, and a failed or skipped fill releases it, and
   * then no value is coming — this caller takes the lease ('acquired', under `token`) and loads at once instead of
   * waiting out the lease ttl. Undefined past `deadline`.
   */
  private async waitForFill(key: string, l2Key: string, token: string, deadline: number): Promise<StoredEntry | 'acquired' | undefined> {
    const l2 = this.core.l2!
    let delay = 5
    while (this.core.now() < deadline && !this.core.closed) {
      await sleep(Math.min(delay, Math.max(1, deadline - this.core.now())))
      delay = Math.min(delay * 2, 100)
      const entry = await this.readL2(key)
      if (entry !== undefined && freshness(entry, this.core.now(), this.tags) === 'fresh') {
        this.writeL1(key, entry, this.policy.l1Ttl)
        return entry
      }
      const outcome = await l2.acquireLease(l2Key, token, this.policy.leaseTtl)
      if (outcome === 'acquired') return 'acquired'
      if (outcome === 'unavailable') return undefined
    }
    return undefined
  }

  /** A stale copy answers (allowStale, a soft timeout, fail-safe): counted and reported as a stale hit of its tier. */
  private servedStale(key: string, found: Found): Found {
    this.counters.staleHits++
    this.emitHit(key, found.source === 'l2' ? 'l2' : 'l1', true)
    return found
  }

  /** Serves the stale candidate after a failed load, and keeps serving it for `failSafeBackoff` before retrying. */
  private failSafe(key: string, candidate: Found, error: unknown): Found {
    this.counters.failSafes++
    const now = this.core.now()
    const backoffUntil = Math.min(now + this.policy.failSafeBackoff, candidate.entry.staleUntil)
    if (backoffUntil > now) this.writeL1(key, { ...candidate.entry, expiresAt: backoffUntil }, undefined)
    if (this.core.events.has('fail-safe')) this.core.events.emit('fail-safe', { namespace: this.name, key, error })
    return this.servedStale(key, candidate)
  }

  /** Refresh-ahead: past `refreshAhead` of its ttl, one hit starts one background reload of the entry. */
  private maybeRefreshAhead(key: string, entry: StoredEntry, now: number, load: Loader<T> | undefined, options?: EntryOptions): void {
    const ratio = options?.refreshAhead ?? this.policy.refreshAhead
    if (ratio === undefined || load === undefined) return
    if (now < entry.createdAt + ratio * (entry.expiresAt - entry.createdAt)) return
    const l1Key = this.keys.l1Key(key)
    if (this.core.flights.get(l1Key) !== undefined) return
    this.counters.refreshes++
    // The entry is fresh, not a stale candidate: with a fleet lease busy elsewhere, the refresh ends with it unchanged.
    const flight = this.startLoad(key, load, options, { entry, source: 'l1', stale: false, cached: true })
    flight.promise.then(
      () => this.core.events.has('refresh') && this.core.events.emit('refresh', { namespace: this.name, key, ok: true }),
      (error: unknown) => {
        if (this.core.events.has('refresh')) this.core.events.emit('refresh', { namespace: this.name, key, ok: false })
        this.core.reportError(this.name, 'refresh', toStrataError(error), key)
      },
    )
  }

  // ---------------------------------------------------------------- writes

  /** Sets a value, honouring the namespace's write mode (write-through runs the writer first). */
  set(key: string, value: T, options?: SetOptions): Promise<void> {
    // An L1-only cache-aside write with nobody to tell (no L2, no bus, no hooks or listeners on writes) has nothing to
    // wait for: it is done synchronously and answers a settled promise, sparing the three awaits of the full path.
    const core = this.core
    if (
      core.l2 !== undefined ||
      core.bus !== undefined ||
      !core.fastReads ||
      (options?.writeMode ?? this.policy.writeMode) !== 'cache-aside' ||
      core.hooks.active.beforeSet ||
      core.hooks.active.invalidate ||
      core.events.has('set') ||
      core.events.has('invalidate')
    ) {
      return this.setSlow(key, value, options)
    }
    try {
      const write = this.prepareWrite(key, value, options)
      core.flights.invalidate(this.keys.l1Key(key))
      const entry = write.entry
      if (!overtakenByTag(entry, this.tags)) this.writeL1(key, entry, write.resolved.l1Ttl)
      this.counters.sets++
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : toStrataError(error))
    }
    return SETTLED
  }

  private async setSlow(key: string, value: T, options?: SetOptions): Promise<void> {
    await this.write(key, value, options, undefined)
  }

  /**
   * `set`, only if `condition` holds for the entry as it is now (what HTTP's If-Match and If-None-Match ask). The
   * check and the write are one step against every other conditional write of the key on every instance sharing L2:
   * both happen under the key's L2 lease, and a plain set, delete or invalidation landing in between breaks the lease,
   * so the write is refused rather than overwriting it. Refused: E_PRECONDITION_FAILED. The lease held too long by
   * another writer or fill: E_WRITE_CONFLICT; L2 unreachable: E_L2_UNAVAILABLE (it could not be vouched for).
   */
  async setIf(key: string, value: T, condition: WriteCondition<T>, options?: SetOptions): Promise<void> {
    await this.write(key, value, options, condition)
  }

  /**
   * `set` (or `setIf`, with `options.condition`) answering the entry it wrote: its version (an ETag), times and tags,
   * from the write itself, so a caller never reads the key back (a second round trip, and a race with the next write).
   */
  async setEntry(key: string, value: T, options?: SetEntryOptions<T>): Promise<EntryResult<T>> {
    return resultOf(await this.write(key, value, options, options?.condition))
  }

  /**
   * Every single-key write but `set`'s L1-only shortcut: validate and encode before any side effect, then (under the
   * key's guard when conditional) the write mode's origin step, L2 and L1, then the broadcast to other instances.
   */
  private async write(key: string, value: T, options: SetOptions | undefined, condition: WriteCondition<T> | undefined): Promise<Found> {
    this.assertOpen()
    const write = this.prepareWrite(key, value, options)
    const writeMode = options?.writeMode ?? this.policy.writeMode
    let cached: boolean
    if (condition === undefined) {
      if (this.core.hooks.active.beforeSet) this.runBeforeSet(key, value, write.entry)
      await this.writeOrigin(key, value, write.entry, writeMode)
      this.core.flights.invalidate(this.keys.l1Key(key))
      cached = (await this.store(key, write.entry, write.resolved.l1Ttl, { encoded: write.encoded })) !== undefined
    } else {
      await this.guard.hold(this.keys.l1Key(key), this.keys.l2Key(key), this.policy.leaseTtl, async (leaseToken) => {
        this.check(key, condition, await this.current(key))
        if (this.core.hooks.active.beforeSet) this.runBeforeSet(key, value, write.entry)
        await this.writeOrigin(key, value, write.entry, writeMode)
        this.core.flights.invalidate(this.keys.l1Key(key))
        let stored: StoredEntry | undefined
        try {
          stored = await this.store(key, write.entry, write.resolved.l1Ttl, { encoded: write.encoded, requireL2: true, ...(leaseToken === undefined ? {} : { leaseToken }) })
        } catch (error) {
          // L2 did not take it (a delete is kept for replay) but the origin may have: no L1 keeps the old value either.
          this.dropLocal([key])
          await this.publish('keys', { keys: [key] }).catch(() => undefined)
          throw error
        }
        if (stored === undefined) throw new StrataError('E_PRECONDITION_FAILED', `'${key}' changed while the conditional write ran; it was not written`, { context: { namespace: this.name, key } })
      })
      cached = true
    }
    this.counters.sets++
    if (this.core.events.has('set')) this.core.events.emit('set', { namespace: this.name, key, tags: write.entry.tags })
    await this.publish('keys', { keys: [key] })
    return { entry: write.entry, source: 'set', stale: false, cached }
  }

  /**
   * `delete`, only if `condition` holds for the entry as it is now, checked and deleted under the key's guard like
   * `setIf` (a plain write landing in between makes it refuse). `before` runs after the check and before the delete
   * (the gateway removes the key at its origin there).
   */
  async deleteIf(key: string, condition: WriteCondition<T>, before?: () => Promise<void>): Promise<void> {
    this.assertOpen()
    assertKey(key, this.policy.maxKeyLength, this.name)
    await this.guard.hold(this.keys.l1Key(key), this.keys.l2Key(key), this.policy.leaseTtl, async (leaseToken) => {
      this.check(key, condition, await this.current(key))
      await before?.()
      await this.removeAtWriter([key])
      this.dropLocal([key])
      // Under the lease: a plain set or delete since the check broke it, and then nothing is deleted.
      const l2 = this.core.l2
      if (l2 !== undefined && leaseToken !== undefined && (await l2.deleteWithLease(this.keys.l2Key(key), leaseToken)) === false) {
        throw new StrataError('E_PRECONDITION_FAILED', `'${key}' changed while the conditional delete ran; it was not deleted`, { context: { namespace: this.name, key } })
      }
    })
    await this.deleted([key])
  }

  /**
   * The live entry as conditional writes see it: L2's when there is an L2 (every instance's truth), else L1's. An L2
   * that cannot be read fails the write (E_L2_UNAVAILABLE, a 503) rather than pass for "no entry" (a false 412).
   */
  private async current(key: string): Promise<CacheEntry<T> | undefined> {
    const entry = this.core.l2 === undefined ? this.l1?.peek(this.keys.l1Key(key)) : await this.readL2(key, true)
    return entry === undefined || freshness(entry, this.core.now(), this.tags) === 'gone' ? undefined : (entry as CacheEntry<T>)
  }

  private check(key: string, condition: WriteCondition<T>, current: CacheEntry<T> | undefined): void {
    const verdict = condition(current)
    if (verdict === true) return
    throw new StrataError('E_PRECONDITION_FAILED', typeof verdict === 'string' ? verdict : `The condition on '${key}' does not hold`, {
      context: { namespace: this.name, key },
    })
  }

  /**
   * Validates and encodes one write before any side effect, so a refused key, value or option (or an oversized
   * value) changes nothing anywhere.
   */
  private prepareWrite(key: string, value: T, options: EntryOptions | undefined) {
    assertKey(key, this.policy.maxKeyLength, this.name)
    if (value === undefined) throw new StrataError('E_VALUE_UNDEFINED', 'undefined cannot be cached', { context: { key } })
    if (options !== undefined) validateEntryOptions(this.policy, this.name, options)
    const resolved = options === undefined ? this.policyEntryOptions : resolveEntryOptions(this.policy, options)
    const entry = this.makeEntry(value, undefined, resolved)
    const encoded = this.encodeChecked(key, entry)
    return { key, entry: encoded === undefined ? entry : { ...entry, size: encoded.length }, resolved, encoded }
  }

  private async writeOrigin(key: string, value: T, entry: { version: number; tags: readonly string[] }, mode: WriteMode): Promise<void> {
    if (mode === 'cache-aside') return
    const version = entry.version
    if (mode === 'write-through') {
      const writer = this.hooks.writer
      if (writer === undefined) {
        throw new StrataError('E_INVALID_OPTION', `Namespace '${this.name}' is write-through but has no writer`, {
          context: { namespace: this.name },
        })
      }
      try {
        await writer.write(key, value, { version })
      } catch (error) {
        throw new StrataError('E_WRITER_FAILED', `Writer failed for '${key}': ${errorMessage(error)}; the cache is unchanged`, {
          cause: error,
          context: { namespace: this.name, key },
        })
      }
      return
    }
    const queue = this.core.queue
    if (queue === undefined) {
      throw new StrataError('E_NO_QUEUE', `Namespace '${this.name}' is write-behind but the cache has no queue`, {
        context: { namespace: this.name },
      })
    }
    // The write is durable in the queue before the cache shows it: an acknowledged write is never only in memory.
    try {
      await queue.enqueue({ namespace: this.name, key, value, version, at: this.core.now(), ...(entry.tags.length > 0 ? { tags: entry.tags } : {}) })
    } catch (error) {
      // Backpressure is an answer, not a failure: callers (the gateway's 503 + Retry-After) match on its code.
      if (isStrataError(error, 'E_BACKPRESSURE')) throw error
      throw new StrataError('E_WRITER_FAILED', `Write-behind enqueue failed for '${key}': ${errorMessage(error)}`, {
        cause: error,
        context: { namespace: this.name, key },
      })
    }
  }

  /**
   * Drops this namespace's write-behind writes tagged `tag` that have not reached the origin (a data subject's
   * erasure: otherwise a later flush would write the erased values back). Resolves with how many were dropped.
   */
  async discardPendingWrites(tag: string): Promise<number> {
    this.assertOpen()
    return (await this.core.queue?.discardTagged(this.name, tag)) ?? 0
  }

  async delete(key: string): Promise<void> {
    await this.deleteMany([key])
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    await this.remove(keys, false)
  }

  /**
   * `deleteMany`, answering how many of the keys were in L2 (as `countInL2({ keys })` counts them) from the delete
   * itself: one L2 round trip where a count and then a delete take two (an invalidation's record wants both).
   * Undefined without an L2, or when L2 did not take the delete (kept for replay).
   */
  async deleteManyCounted(keys: readonly string[]): Promise<number | undefined> {
    return this.remove(keys, true)
  }

  private async remove(keys: readonly string[], counted: boolean): Promise<number | undefined> {
    this.assertOpen()
    for (const key of keys) assertKey(key, this.policy.maxKeyLength, this.name)
    await this.removeAtWriter(keys)
    this.dropLocal(keys)
    const l2Keys = keys.map((key) => this.keys.l2Key(key))
    const found = counted ? await this.core.l2?.deleteManyCounted(l2Keys) : await this.core.l2?.deleteMany(l2Keys)
    await this.deleted(keys)
    return found ?? undefined
  }

  /** A write-through namespace removes the keys at its writer first; if that fails the cache is unchanged. */
  private async removeAtWriter(keys: readonly string[]): Promise<void> {
    if (this.policy.writeMode !== 'write-through' || this.hooks.writer?.remove === undefined) return
    for (const key of keys) {
      try {
        await this.hooks.writer.remove(key)
      } catch (error) {
        throw new StrataError('E_WRITER_FAILED', `Writer failed to remove '${key}': ${errorMessage(error)}; the cache is unchanged`, {
          cause: error,
          context: { namespace: this.name, key },
        })
      }
    }
  }

  /** What follows a delete: counters, events, and the invalidation every other instance's L1 follows. */
  private async deleted(keys: readonly string[]): Promise<void> {
    this.counters.deletes += keys.length
    if (this.core.events.has('delete')) for (const key of keys) this.core.events.emit('delete', { namespace: this.name, key })
    await this.publish('keys', { keys: [...keys] })
  }

  // ---------------------------------------------------------------- bulk

  /** Values for several keys: one L1 pass, then one L2 round trip for what L1 missed. */
  async getMany(keys: readonly string[]): Promise<(T | undefined)[]> {
    this.assertOpen()
    for (const key of keys) assertKey(key, this.policy.maxKeyLength, this.name)
    if (this.core.hooks.active.beforeGet) for (const key of keys) this.core.hooks.run('beforeGet', { namespace: this.name, key })
    const { found, missing } = await this.lookupMany(keys)
    this.counters.misses += missing.length
    return keys.map((key) => found.get(key)?.value as T | undefined)
  }

  /** Read-through for several keys: what the tiers miss is loaded by one batch loader call. */
  async getOrSetMany(keys: readonly string[], loader: BatchLoader<T>, options?: EntryOptions): Promise<(T | undefined)[]> {
    this.assertOpen()
    for (const key of keys) assertKey(key, this.policy.maxKeyLength, this.name)
    if (options !== undefined) validateEntryOptions(this.policy, this.name, options)
    if (this.core.hooks.active.beforeGet) for (const key of keys) this.core.hooks.run('beforeGet', { namespace: this.name, key })
    const { found, missing } = await this.lookupMany(keys)
    if (missing.length > 0) {
      this.counters.misses += missing.length
      const loaded = await this.batchLoad(missing, loader, options)
      for (const [key, entry] of loaded) found.set(key, entry)
    }
    return keys.map((key) => found.get(key)?.value as T | undefined)
  }

  async setMany(items: readonly { key: string; value: T; options?: EntryOptions }[]): Promise<void> {
    this.assertOpen()
    const prepared = items.map(({ key, value, options }) => this.prepareWrite(key, value, options))
    if (this.core.hooks.active.beforeSet) for (const item of prepared) this.runBeforeSet(item.key, item.entry.value, item.entry)
    if (this.policy.writeMode !== 'cache-aside') {
      for (const item of prepared) await this.writeOrigin(item.key, item.entry.value as T, item.entry, this.policy.writeMode)
    }
    const now = this.core.now()
    const l2Writes: L2SetEntry[] = []
    for (const { key, entry, resolved, encoded } of prepared) {
      this.core.flights.invalidate(this.keys.l1Key(key))
      this.writeL1(key, entry, resolved.l1Ttl)
      if (encoded !== undefined && this.core.l2 !== undefined) {
        l2Writes.push({ key: this.keys.l2Key(key), value: encoded, ttlMs: Math.max(1, entry.staleUntil - now) })
      }
    }
    await this.core.l2?.setMany(l2Writes)
    this.counters.sets += prepared.length
    await this.publish('keys', { keys: prepared.map((item) => item.key) })
  }

  private async lookupMany(keys: readonly string[]): Promise<{ found: Map<string, StoredEntry>; missing: string[] }> {
    const now = this.core.now()
    const found = new Map<string, StoredEntry>()
    const l1Missing: string[] = []
    const trusted = now < this.core.l1TrustedUntil
    for (const key of new Set(keys)) {
      const entry = trusted ? this.core.l1?.get(this.keys.l1Key(key)) : undefined
      if (servesFromL1(entry, now, this.core.l1TrustedUntil, this.tags)) {
        this.counters.l1Hits++
        found.set(key, entry)
      } else {
        l1Missing.push(key)
      }
    }
    if (l1Missing.length === 0 || this.core.l2 === undefined) return { found, missing: l1Missing }
    const fromL2 = await this.readManyL2(l1Missing)
    const missing: string[] = []
    l1Missing.forEach((key, index) => {
      const entry = fromL2[index]
      if (entry !== undefined && freshness(entry, now, this.tags) === 'fresh') {
        this.counters.l2Hits++
        this.writeL1(key, entry, this.policy.l1Ttl)
        found.set(key, entry)
      } else {
        missing.push(key)
      }
    })
    return { found, missing }
  }

  /**
   * Loads `keys` with one batch call. Keys another caller is already loading join that load instead, so a batch never
   * duplicates work in flight; fleet leases are per key and are not taken for batches.
   */
  private async batchLoad(keys: readonly string[], loader: BatchLoader<T>, options: EntryOptions | undefined): Promise<Map<string, StoredEntry>> {
    const result = new Map<string, StoredEntry>()
    const joined: [string, Promise<Found>][] = []
    const mine: string[] = []
    for (const key of keys) {
      const flight = this.core.flights.get<Found>(this.keys.l1Key(key))
      if (flight !== undefined) joined.push([key, flight.promise])
      else mine.push(key)
    }
    if (mine.length > 0) {
      const startedAt = this.core.now()
      let settle!: (entries: Map<string, StoredEntry>) => void
      let fail!: (error: unknown) => void
      const batch = new Promise<Map<string, StoredEntry>>((resolve, reject) => {
        settle = resolve
        fail = reject
      })
      batch.catch(() => undefined)
      const flights = mine.map((key) =>
        this.core.flights.join<Found>(this.keys.l1Key(key), async (flight): Promise<Found> => {
          const entries = await batch
          const entry = entries.get(key)
          if (entry === undefined) throw new StrataError('E_LOADER_FAILED', `Batch loader returned nothing for '${key}'`)
          const stored = flight.invalidated ? undefined : await this.store(key, entry, options?.l1Ttl ?? this.policy.l1Ttl, { flight })
          return { entry: stored ?? entry, source: 'loader', stale: false, cached: stored !== undefined }
        }),
      )
      for (const flight of flights) flight.promise.catch(() => undefined)
      this.counters.loads++
      try {
        const values = await loader(mine, { namespace: this.name, signal: this.core.lifetime.signal })
        const resolved = resolveEntryOptions(this.policy, options)
        const entries = new Map<string, StoredEntry>()
        for (const [key, value] of values) if (value !== undefined) entries.set(key, this.makeEntry(value, startedAt, resolved))
        if (this.core.hooks.active.afterLoad) {
          const durationMs = this.core.now() - startedAt
          for (const [key, entry] of entries) this.core.hooks.run('afterLoad', { namespace: this.name, key, value: entry.value, durationMs })
        }
        settle(entries)
        this.emitLoad(mine.join(','), startedAt, true)
      } catch (error) {
        this.counters.loadErrors++
        fail(new StrataError('E_LOADER_FAILED', `Batch loader failed: ${errorMessage(error)}`, { cause: error }))
        throw new StrataError('E_LOADER_FAILED', `Batch loader failed: ${errorMessage(error)}`, { cause: error, context: { namespace: this.name } })
      }
      mine.forEach((key, index) => joined.push([key, flights[index]!.promise]))
    }
    const settled = await Promise.allSettled(joined.map(([, promise]) => promise))
    settled.forEach((outcome, index) => {
      if (outcome.status === 'fulfilled') result.set(joined[index]![0], outcome.value.entry)
    })
    return result
  }

  // ---------------------------------------------------------------- invalidation

  /** Everything carrying one of `tags` is gone, in every tier and (through the bus) every instance. */
  async deleteByTag(tags: readonly string[]): Promise<void> {
    await this.invalidateTags(tags, 'delete')
  }

  /** Everything carrying one of `tags` is stale: served within grace while a refresh runs, then gone. */
  async expireByTag(tags: readonly string[]): Promise<void> {
    await this.invalidateTags(tags, 'expire')
  }

  private async invalidateTags(tags: readonly string[], kind: 'delete' | 'expire'): Promise<void> {
    this.assertOpen()
    assertTags(tags, this.name)
    const at = this.core.now()
    // Loads in flight need no special care: their entries' createdAt (the load start) predates `at`, so store()
    // refuses to cache them if they carry one of these tags.
    for (const tag of tags) this.tags.record(tag, kind, at)
    const l2 = this.core.l2
    if (l2 !== undefined) {
      const record = new TextEncoder().encode(String(at))
      const ttlMs = this.policy.maxTtl
      await Promise.all(tags.map((tag) => l2.setDurable({ key: this.keys.tagRecord(tag, kind), value: record, ttlMs })))
    }
    await this.publish(kind === 'delete' ? 'delete-tags' : 'expire-tags', { tags: [...tags], at })
  }

  /** Empties the namespace in L1 and L2 (L2 by prefix scan: an admin operation, not a hot path). */
  async clear(): Promise<void> {
    this.assertOpen()
    this.dropAllLocal()
    await this.core.l2?.clear(this.keys.l2Prefix)
    await this.publish('clear', {})
  }

  /**
   * Removes every key of the namespace that starts with `prefix`, in L1, L2 (a prefix scan, like `clear`: an admin
   * operation) and, through the bus, every instance's L1.
   */
  async deleteByPrefix(prefix: string): Promise<void> {
    this.assertOpen()
    assertKey(prefix, this.policy.maxKeyLength, this.name)
    this.dropLocalPrefix(prefix)
    await this.core.l2?.clear(this.keys.l2Key(prefix))
    await this.publish('prefix', { prefix })
  }

  /**
   * How many entries of `keys` are in L2, or how many keys start with `prefix` (whole namespace when empty), for
   * dry runs. Undefined when the L2 store cannot count by prefix, or there is no L2. Expired-but-graced entries count.
   */
  async countInL2(target: { keys: readonly string[] } | { prefix: string }): Promise<number | undefined> {
    this.assertOpen()
    const l2 = this.core.l2
    if (l2 === undefined) return undefined
    if ('keys' in target) {
      for (const key of target.keys) assertKey(key, this.policy.maxKeyLength, this.name)
      const found = await l2.getMany(target.keys.map((key) => this.keys.l2Key(key)))
      return found.filter((bytes) => bytes !== undefined).length
    }
    return l2.count(this.keys.l2Key(target.prefix))
  }

  /** Applies what another instance did: only this process's L1 and tag records are affected. */
  applyRemote(message: InvalidationMessage): void {
    switch (message.kind) {
      case 'keys':
        this.dropLocal(message.keys ?? [])
        break
      case 'prefix':
        if (typeof message.prefix === 'string') this.dropLocalPrefix(message.prefix)
        break
      case 'delete-tags':
      case 'expire-tags': {
        const kind = message.kind === 'delete-tags' ? 'delete' : 'expire'
        for (const tag of message.tags ?? []) this.tags.record(tag, kind, message.at)
        break
      }
      case 'clear':
        this.dropAllLocal()
        break
    }
    if (this.core.events.has('invalidate') || this.core.hooks.active.invalidate) {
      const event = { namespace: this.name, kind: message.kind, keys: message.keys, tags: message.tags, prefix: message.prefix, remote: true }
      if (this.core.hooks.active.invalidate) this.core.hooks.run('invalidate', event)
      this.core.events.emit('invalidate', event)
    }
  }

  private dropLocal(keys: readonly string[]): void {
    for (const key of keys) {
      const l1Key = this.keys.l1Key(key)
      this.core.flights.invalidate(l1Key)
      this.core.l1?.delete(l1Key)
    }
  }

  private dropLocalPrefix(prefix: string): void {
    const l1Prefix = this.keys.l1Key(prefix)
    this.core.flights.invalidateWhere((l1Key) => l1Key.startsWith(l1Prefix) && this.keys.ownsL1Key(l1Key))
    const l1 = this.core.l1
    if (l1 === undefined) return
    for (const l1Key of [...l1.keys()]) if (l1Key.startsWith(l1Prefix) && this.keys.ownsL1Key(l1Key)) l1.delete(l1Key)
  }

  private dropAllLocal(): void {
    const l1 = this.core.l1
    this.core.flights.invalidateWhere((l1Key) => this.keys.ownsL1Key(l1Key))
    if (l1 !== undefined) for (const l1Key of [...l1.keys()]) if (this.keys.ownsL1Key(l1Key)) l1.delete(l1Key)
  }

  private async publish(kind: InvalidationKind, detail: { keys?: string[]; tags?: string[]; prefix?: string; at?: number }): Promise<void> {
    if (this.core.events.has('invalidate') || this.core.hooks.active.invalidate) {
      const event = { namespace: this.name, kind, keys: detail.keys, tags: detail.tags, prefix: detail.prefix, remote: false }
      if (this.core.hooks.active.invalidate) this.core.hooks.run('invalidate', event)
      this.core.events.emit('invalidate', event)
    }
    await this.core.publish({ namespace: this.name, kind, at: detail.at ?? this.core.now(), ...detail })
  }

  // ---------------------------------------------------------------- observation

  stats(): StatsSnapshot {
    return this.counters.snapshot()
  }

  on<E extends keyof CacheEventMap>(name: E, listener: CacheListener<E>): () => void {
    return this.core.events.on(name, listener)
  }

  /** True when `options` describe this namespace as it is (same policy values, same hooks). */
  matches(options: NamespaceOptions<T>): boolean {
    const { loader, writer, ...policy } = options
    if (loader !== undefined && loader !== this.hooks.loader) return false
    if (writer !== undefined && writer !== this.hooks.writer) return false
    const current = this.policy as unknown as Record<string, unknown>
    return Object.entries(policy).every(([field, value]) => value === undefined || current[field] === value)
  }

  pruneTagRecords(): void {
    this.tags.prune(this.core.now())
  }

  /** Counts an L1 removal (the cache wires the tier's removal callback here). */
  countRemoval(cause: 'evicted' | 'expired'): void {
    if (cause === 'evicted') this.counters.l1Evictions++
    else this.counters.l1Expirations++
  }

  // ---------------------------------------------------------------- internals

  /** Caches an entry in L2 and L1; answers the entry as cached (with its encoded size), or undefined if it was not. */
  private async store(
    key: string,
    entry: StoredEntry,
    l1Ttl: number | undefined,
    how: { flight?: Flight<Found>; leaseToken?: string; encoded?: Uint8Array | undefined; requireL2?: boolean },
  ): Promise<StoredEntry | undefined> {
    const l2 = this.core.l2
    // A load overtaken by an invalidation returns its value to its callers but is not cached.
    if (how.flight?.invalidated || overtakenByTag(entry, this.tags)) {
      if (how.leaseToken !== undefined) await l2?.releaseLease(this.keys.l2Key(key), how.leaseToken)
      return undefined
    }
    let encoded = how.encoded
    if (encoded === undefined && (l2 !== undefined || this.encodeForL1)) {
      try {
        encoded = this.encodeChecked(key, entry)
      } catch (error) {
        // A loaded value too large to cache is still answered; it just is not stored.
        this.core.reportError(this.name, 'store', toStrataError(error), key)
        if (how.leaseToken !== undefined) await l2?.releaseLease(this.keys.l2Key(key), how.leaseToken)
        return undefined
      }
    }
    const sized = encoded === undefined || entry.size === encoded.length ? entry : { ...entry, size: encoded.length }
    if (l2 !== undefined && encoded !== undefined) {
      const write = { key: this.keys.l2Key(key), value: encoded, ttlMs: Math.max(1, entry.staleUntil - this.core.now()) }
      if (how.leaseToken !== undefined) {
        // False: an invalidation deleted the key (and our lease) while we loaded; caching would resurrect old data.
        const written = await l2.setWithLease(write, how.leaseToken)
        if (written === false) return undefined
        // A conditional write is vouched for by L2: one it did not take must not answer as written (E_L2_UNAVAILABLE).
        if (written === undefined && how.requireL2 === true) {
          throw new StrataError('E_L2_UNAVAILABLE', `L2 did not take the conditional write of '${key}'`, { context: { namespace: this.name, key } })
        }
      } else {
        await l2.set(write)
      }
    }
    if (how.flight?.invalidated) return undefined
    this.writeL1(key, sized, l1Ttl)
    return sized
  }

  private writeL1(key: string, entry: StoredEntry, l1Ttl: number | undefined): void {
    const l1 = this.core.l1
    if (l1 === undefined) return
    let stored = entry
    if (l1Ttl !== undefined && l1Ttl <= 0) {
      // No copy this instance trusts: every read asks L2. Within grace an already-stale copy stays, the fail-safe
      // fallback for when L2 is down; without grace there is nothing worth keeping.
      if (entry.staleUntil <= entry.expiresAt) {
        l1.delete(this.keys.l1Key(key))
        return
      }
      stored = { ...entry, expiresAt: 0 }
    } else if (l1Ttl !== undefined) {
      // The L1 copy turns stale sooner, so this instance re-reads L2 (which an invalidation may have changed).
      const expiresAt = Math.min(entry.expiresAt, this.core.now() + l1Ttl)
      if (expiresAt < entry.expiresAt) stored = { ...entry, expiresAt }
    }
    l1.set(this.keys.l1Key(key), stored, stored.staleUntil, stored.size || 1)
  }

  /** `orFail`: an unreachable L2 throws E_L2_UNAVAILABLE instead of reading as a miss. */
  private async readL2(key: string, orFail = false): Promise<StoredEntry | undefined> {
    const l2 = this.core.l2
    if (l2 === undefined) return undefined
    const bytes = orFail ? await l2.getOrFail(this.keys.l2Key(key)) : await l2.get(this.keys.l2Key(key))
    if (bytes === undefined) return undefined
    const entry = this.decode(key, bytes)
    if (entry !== undefined && entry.tags.length > 0) await this.syncTagRecords(entry.tags)
    return entry
  }

  private async readManyL2(keys: readonly string[]): Promise<(StoredEntry | undefined)[]> {
    const l2 = this.core.l2!
    const raw = await l2.getMany(keys.map((key) => this.keys.l2Key(key)))
    const entries = raw.map((bytes, index) => (bytes === undefined ? undefined : this.decode(keys[index]!, bytes)))
    const tags = new Set(entries.flatMap((entry) => entry?.tags ?? []))
    if (tags.size > 0) await this.syncTagRecords([...tags])
    return entries
  }

  /** Reads the fleet's invalidation times for `tags` from L2, so entries another instance invalidated are judged right. */
  private async syncTagRecords(tags: readonly string[]): Promise<void> {
    const recordKeys = tags.flatMap((tag) => [this.keys.tagRecord(tag, 'delete'), this.keys.tagRecord(tag, 'expire')])
    const records = await this.core.l2!.getMany(recordKeys)
    const decoder = new TextDecoder()
    tags.forEach((tag, index) => {
      const deletedAt = records[index * 2]
      const expiredAt = records[index * 2 + 1]
      if (deletedAt !== undefined) this.tags.record(tag, 'delete', Number(decoder.decode(deletedAt)) || 0)
      if (expiredAt !== undefined) this.tags.record(tag, 'expire', Number(decoder.decode(expiredAt)) || 0)
    })
  }

  private decode(key: string, bytes: Uint8Array): StoredEntry | undefined {
    try {
      return decodeEntry(bytes, this.core.codecs, this.policy.encryption, { namespace: this.name, key }).entry
    } catch (error) {
      // Corrupt, foreign or undecryptable bytes are a miss, never a wrong value.
      this.core.reportError(this.name, 'decode', toStrataError(error), key)
      this.counters.errors++
      return undefined
    }
  }

  /** Encodes for L2 (or a byte-bounded L1) and enforces the value size limit; undefined when nothing needs bytes. */
  private encodeChecked(key: string, entry: StoredEntry): Uint8Array | undefined {
    if (this.core.l2 === undefined && !this.encodeForL1) return undefined
    const encoded = encodeEntry(entry, this.codecOptions, { namespace: this.name, key })
    if (encoded.length > this.policy.maxValueBytes) {
      throw new StrataError(
        'E_VALUE_TOO_LARGE',
        `Value for '${key}' encodes to ${encoded.length} bytes; the maximum is ${this.policy.maxValueBytes}`,
        { context: { namespace: this.name, key, size: encoded.length, limit: this.policy.maxValueBytes } },
      )
    }
    return encoded
  }

  /** `createdAt`: when the value's load started; undefined for now (a set). The clock is read once (~50 ns a read). */
  private makeEntry(value: unknown, createdAt: number | undefined, options: ResolvedEntryOptions): StoredEntry {
    const now = this.core.now()
    const expiresAt = now + options.ttl
    return {
      value,
      createdAt: createdAt === undefined || createdAt > now ? now : createdAt,
      expiresAt,
      staleUntil: expiresAt + options.grace,
      version: this.core.nextVersion(now),
      tags: options.tags,
      size: 0,
    }
  }

  private choose(chosen: Partial<ResolvedEntryOptions>, picked: Pick<EntryOptions, 'ttl' | 'grace' | 'tags' | 'l1Ttl'>): void {
    validateEntryOptions(this.policy, this.name, picked)
    Object.assign(chosen, picked)
  }

  private runBeforeSet(key: string, value: unknown, entry: StoredEntry): void {
    this.core.hooks.run('beforeSet', { namespace: this.name, key, value, tags: entry.tags, ttl: entry.expiresAt - entry.createdAt })
  }

  private emitHit(key: string, tier: Tier, stale: boolean): void {
    if (this.core.events.has('hit')) this.core.events.emit('hit', { namespace: this.name, key, tier, stale })
  }

  private emitLoad(key: string, startedAt: number, ok: boolean): void {
    if (this.core.events.has('load')) this.core.events.emit('load', { namespace: this.name, key, durationMs: this.core.now() - startedAt, ok })
  }

  private assertOpen(): void {
    if (this.core.closed) throw new StrataError('E_CACHE_CLOSED', 'The cache was closed')
  }
}

const SETTLED: Promise<void> = Promise.resolve()

function resultOf<T>({ entry, source, stale, cached }: Found): EntryResult<T> {
  const { version, createdAt, expiresAt, staleUntil, tags, size } = entry
  return { value: entry.value as T, meta: { source, stale, cached, version, createdAt, expiresAt, staleUntil, tags, size } }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function toStrataError(error: unknown): StrataError {
  if (isStrataError(error)) return error
  return new StrataError('E_LOADER_FAILED', errorMessage(error), { cause: error })
}
