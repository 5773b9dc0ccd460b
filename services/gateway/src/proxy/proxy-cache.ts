import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { StrataError, type NamespaceCache } from '@strata/core'
import { cacheStatus, type CacheStatusEntry, type ForwardReason } from '../http/cache-status.js'
import { parseCacheControl, type CacheControl } from './cache-control.js'
import { correctedInitialAge, currentAge, freshnessLifetime, httpDate, mustRevalidate, notStorableReason, sharedWithAuthorization } from './freshness.js'
import { endToEndHeaders, type InterimListener, type OriginClient, type OriginResponse } from './origin-client.js'
import { header, type StoredResponse, type StoredValue, type VaryRecord } from './stored-response.js'
import { answerRange } from './byte-ranges.js'
import { responsePolicy } from './targeted-cache-control.js'
import { allowedOnSharedRequest, withoutUnkeyedOverrides } from './unkeyed-headers.js'

/** What a proxy answer was (its X-Cache value). */
export const CACHE_OUTCOMES = ['HIT', 'MISS', 'STALE', 'REVALIDATED', 'BYPASS'] as const
export type CacheOutcome = (typeof CACHE_OUTCOMES)[number]

export interface ProxyRequest {
  method: string
  /** Path and query below the upstream, starting with '/'. */
  path: string
  headers: Record<string, string | string[] | undefined>
  body?: Buffer | undefined
  /** Who asks (principal id or address): origin connections are shared fairly between clients. */
  client?: string
  /**
   * 1xx interim answers of the origin request made for this client (103 Early Hints): relayed to it, never stored;
   * a request that joins another's origin request gets only the final answer.
   */
  onInterim?: InterimListener
}

export interface ProxyResponse {
  status: number
  /** Read-only: an answer from the store shares one object between all its hits. */
  headers: Readonly<Record<string, string | string[]>>
  /** The Age field of an answer from the store (kept apart so that its other fields can be shared). */
  age?: string
  /** Bytes, or a stream for an answer too large to store (it flows from the origin as it arrives). */
  body: Uint8Array | Readable | undefined
  outcome: CacheOutcome
  /** The Cache-Status field (RFC 9211) of this answer, serialised. */
  cacheStatus: string
}

export interface PurgeOptions {
  /** Mark stale instead of removing (Fastly's soft purge): served within its stale windows while it revalidates. */
  soft?: boolean
}

export interface UpstreamOptions {
  /** Origin request timeout (headers and body), ms. */
  timeoutMs: number
  /** How long past its freshness a response with a validator is kept for conditional revalidation, ms. */
  keepForRevalidationMs: number
  /** Fraction of (Date − Last-Modified) used as heuristic freshness (RFC 9111 §4.2.2). */
  heuristicFraction: number
  /** RFC 9213 target list, lowercased, most specific first (e.g. strata-cache-control, cdn-cache-control). */
  targets: readonly string[]
  /** Targeted fields meant for this cache alone: removed from what clients get. */
  privateTargets: readonly string[]
  /** stale-if-error (RFC 5861) granted to every response of this upstream, seconds, when it says less. */
  staleIfErrorSeconds: number
  /** Request headers forwarded on shareable requests besides the built-in allowlist (lowercased). */
  forwardHeaders: ReadonlySet<string>
  /** Name the cache key in Cache-Status. */
  exposeKey: boolean
  /** Heuristic lifetime of a 404/410 that has no explicit freshness and no Last-Modified, seconds (0: none). */
  negativeSeconds: number
}

interface Found {
  key: string
  stored: StoredResponse
  /** The engine holds it stale: a soft purge (expireByTag) marked it, and it has not been read since. */
  softPurged?: boolean
  /** The URL's VaryRecord, when the soft purge marked it stale too (it is written back with the variant). */
  staleVaryRecord?: VaryRecord
}

/**
 * What serving one stored response takes that does not change from one hit to the next, worked out on its first hit
 * and kept beside it: the engine's L1 hands back the same object on every hit (a copy read from L2 gets its own).
 */
interface Prepared {
  cc: CacheControl
  /** §4.2.1 freshness lifetime, seconds (cut at a soft purge). */
  lifetime: number
  /** The fields clients get (internal and private targeted fields removed), without Age; shared, never changed. */
  headers: Readonly<Record<string, string | string[]>>
  /** The stored body as a Buffer over the same bytes (no copy). */
  body: Buffer
  /** The Age and plain-hit Cache-Status last served, for the whole seconds they were written for. */
  ageSeconds: number
  ageText: string
  hitTtl: number
  hitText: string
}

/** A stored value and whether the engine holds it stale (soft-purged). */
interface Read<V> {
  value: V
  stale: boolean
}

interface Fetched {
  response: OriginResponse
  requestTime: number
  responseTime: number
  /** The request header values a Vary on this response refers to, as the leader sent them. */
  varyValues: Record<string, string> | undefined
  shareable: boolean
  /** The request carried the stored response's validators. */
  conditional?: boolean
  /** This caller was given another caller's response (request collapsing). */
  collapsed?: boolean
}

/** Response fields a client must not see from a shared cache's store. */
const INTERNAL_RESPONSE_FIELDS = ['surrogate-key', 'surrogate-control']
const CACHEABLE_METHODS = new Set(['GET', 'HEAD'])
/** Methods whose definition says they are safe (RFC 9110 §9.2.1, WebDAV, QUERY); any other one invalidates (§4.4). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH', 'REPORT', 'QUERY'])
const MAX_STORE_MS = 30 * 24 * 3_600_000
const HIT: CacheStatusEntry = Object.freeze({ hit: true })

/**
 * A shared HTTP cache for one upstream (RFC 9111 with RFC 5861's stale-while-revalidate and stale-if-error), over a
 * Strata namespace: responses live in L1 and L2 like any entry, surrogate keys are engine tags, and a purge through
 * one gateway reaches every instance through the invalidation bus.
 *
 * Keys: the primary key is the request target (path + query). A response with Vary is stored under a secondary key
 * derived from the selecting request header values, and the primary key holds a VaryRecord naming those headers.
 * Every entry is tagged `url:<hash>` of its primary key, so a purge by URL removes all variants.
 */
export class ProxyCache {
  private readonly inflight = new Map<string, Promise<Fetched>>()
  private readonly revalidations = new Map<string, Promise<unknown>>()
  private readonly prepared = new WeakMap<StoredResponse, Prepared>()

  constructor(
    readonly upstream: string,
    private readonly origin: OriginClient,
    private readonly store: NamespaceCache<StoredValue>,
    private readonly options: UpstreamOptions,
    private readonly clock: () => number,
  ) {}

  async handle(request: ProxyRequest): Promise<ProxyResponse> {
    const method = request.method.toUpperCase()
    if (!CACHEABLE_METHODS.has(method)) return SAFE_METHODS.has(method) ? this.pass(method, request, 'method') : this.passUnsafe(method, request)
    const requestCc = parseCacheControl(request.headers['cache-control'])
    const { found, reason } = await this.lookup(request)
    // A Range is answered from a stored complete response once it is known to be usable; otherwise it goes through.
    if (request.headers.range !== undefined) {
      if (method !== 'GET' || found === undefined || found.stored.status !== 200) return this.pass(method, request, 'bypass', 'range')
      const answer = await this.fromStore(method, { ...request, headers: { ...request.headers, range: undefined } }, requestCc, found)
      return answer.status === 200 && answer.body instanceof Uint8Array ? withRange(answer, request.headers, answer.body) : answer
    }
    // A fresh hit is answered without another async step; the rest (stale, revalidation) is fromStore's.
    if (found !== undefined) return this.freshAnswer(method, request, requestCc, found) ?? this.fromStore(method, request, requestCc, found)
    if (requestCc.has('only-if-cached')) throw notCached(request.path)
    return this.fetchAndStore(method, request, reason)
  }

  /**
   * Purge by URL: every variant of the request target, in every tier and instance. A soft purge keeps them, marked
   * stale (the engine's expireByTag, carried to every instance like a delete): they are served only as RFC 9111 and
   * RFC 5861 allow a stale response to be (stale-while-revalidate, stale-if-error, max-stale) or revalidated first.
   */
  async purgeUrl(path: string, options: PurgeOptions = {}): Promise<void> {
    if (options.soft === true) {
      await this.store.expireByTag([urlTag(path)])
      return
    }
    await this.store.deleteByTag([urlTag(path)])
    await this.store.delete(primaryKey(path))
  }

  /** Purge by Surrogate-Key (engine tags); soft as for a URL. */
  async purgeSurrogateKeys(keys: readonly string[], options: PurgeOptions = {}): Promise<void> {
    const tags = keys.filter(validTag)
    if (tags.length === 0) return
    if (options.soft === true) await this.store.expireByTag(tags)
    else await this.store.deleteByTag(tags)
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.revalidations.values()])
    await this.origin.close()
  }

  // ------------------------------------------------------------------ serving from the store

  /** The stored response as a hit, when it may be served as it is (fresh, and neither side asks for validation). */
  private freshAnswer(method: string, request: ProxyRequest, requestCc: CacheControl, found: Found): ProxyResponse | undefined {
    const { stored } = found
    const now = this.clock()
    const { cc, lifetime } = this.prepare(stored)
    const age = currentAge(stored, now)
    if (lifetime <= age || cc.has('no-cache') || requestCc.has('no-cache')) return undefined
    const requestMaxAge = requestCc.seconds('max-age')
    const minFresh = requestCc.seconds('min-fresh')
    if ((requestMaxAge !== undefined && age > requestMaxAge) || (minFresh !== undefined && lifetime - age < minFresh)) return undefined
    return this.answer(method, request, found, 'HIT', now, HIT)
  }

  private async fromStore(method: string, request: ProxyRequest, requestCc: CacheControl, found: Found): Promise<ProxyResponse> {
    const { stored } = found
    const now = this.clock()
    const { cc, lifetime } = this.prepare(stored)
    const age = currentAge(stored, now)
    const fresh = lifetime > age
    const requestMaxAge = requestCc.seconds('max-age')
    const minFresh = requestCc.seconds('min-fresh')
    const clientWantsValidation = requestCc.has('no-cache') || (requestMaxAge !== undefined && age > requestMaxAge)
    const servableFresh =
      fresh && !cc.has('no-cache') && !clientWantsValidation && (minFresh === undefined || lifetime - age >= minFresh)
    if (servableFresh) return this.answer(method, request, found, 'HIT', now, HIT)

    const staleness = age - lifetime
    // Serving stale is never allowed when the response or the client forbids it (§4.2.4, §5.2.2.2, RFC 5861 §4).
    const staleAllowed = !fresh && !mustRevalidate(cc) && !cc.has('no-cache') && !clientWantsValidation
    // §5.2.1.2: max-stale without a value takes any staleness; with one, up to that many seconds.
    if (staleAllowed && requestCc.has('max-stale')) {
      const anyStaleness = requestCc.fields('max-stale').length === 0
      const maxStale = requestCc.seconds('max-stale')
      if (anyStaleness || (maxStale !== undefined && staleness <= maxStale)) return this.answer(method, request, found, 'STALE', now, { hit: true, detail: 'max-stale' })
    }
    const swr = cc.seconds('stale-while-revalidate')
    if (staleAllowed && swr !== undefined && staleness < swr) {
      this.revalidateInBackground(found, request)
      return this.answer(method, request, found, 'STALE', now, { hit: true, detail: 'stale-while-revalidate' })
    }
    if (requestCc.has('only-if-cached')) throw notCached(request.path)

    // Why the request went forward: the stored response was stale, or fresh but the client or response said no.
    const fwd: ForwardReason = fresh ? 'request' : 'stale'
    const staleIfError = Math.max(cc.seconds('stale-if-error') ?? -1, requestCc.seconds('stale-if-error') ?? -1, this.options.staleIfErrorSeconds > 0 ? this.options.staleIfErrorSeconds : -1)
    const failSafe = (fwdStatus?: number): ProxyResponse =>
      this.answer(method, request, found, 'STALE', this.clock(), { fwd, ...(fwdStatus === undefined ? {} : { fwdStatus }), detail: 'stale-if-error' })
    let fetched: Fetched
    try {
      fetched = await this.revalidate(found, request)
      // A 304 is only an answer about the stored response if the request was conditional and its validators are
      // the stored ones (§4.3.4); anything else is an origin error, and the stored entry is left as it was.
      if (fetched.response.status === 304) this.checkNotModified(found.stored, fetched)
    } catch (error) {
      if (staleAllowed && staleness < staleIfError) return failSafe()
      throw error
    }
    const status = fetched.response.status
    if (status >= 500 && staleAllowed && staleness < staleIfError) {
      discard(fetched.response.body)
      return failSafe(status)
    }
    // The representation grew past what is stored: the stored one is outdated, and the new one streams through.
    if (fetched.response.body instanceof Readable) await this.store.delete(found.key)
    if (status === 304) {
      const refreshed = this.freshen(stored, fetched)
      await this.put(found.key, request.path, refreshed)
      return this.answer(method, request, { key: found.key, stored: refreshed }, 'REVALIDATED', this.clock(), { fwd, fwdStatus: 304, stored: true })
    }
    return this.storeAndAnswer(method, request, fetched, 'MISS', fwd)
  }

  /** The stored response as the client gets it: Age added, internal fields removed, 304 for a matching validator. */
  private answer(method: string, request: ProxyRequest, found: Found, outcome: CacheOutcome, now: number, status: CacheStatusEntry): ProxyResponse {
    const { stored } = found
    const prepared = this.prepare(stored)
    const age = currentAge(stored, now)
    const ageSeconds = Math.floor(age)
    if (ageSeconds !== prepared.ageSeconds) {
      prepared.ageSeconds = ageSeconds
      prepared.ageText = String(ageSeconds)
    }
    const ttl = Math.trunc(prepared.lifetime - age)
    let text: string
    // A plain hit says the same thing for a whole second: its Cache-Status is written once per ttl value.
    if (outcome === 'HIT' && status.detail === undefined && status.fwd === undefined && stored.softPurgedAt === undefined) {
      if (ttl !== prepared.hitTtl) {
        prepared.hitTtl = ttl
        prepared.hitText = cacheStatus({ ...status, ttl, ...(this.options.exposeKey ? { key: found.key } : {}) })
      }
      text = prepared.hitText
    } else {
      // A soft-purged response served stale says so, beside why it could be served.
      const detail = stored.softPurgedAt === undefined ? status.detail : ['soft-purged', status.detail].filter((d) => d !== undefined).join(', ')
      text = cacheStatus({ ...status, ...(detail === undefined ? {} : { detail }), ttl, ...(this.options.exposeKey ? { key: found.key } : {}) })
    }
    if (clientValidatorMatches(request.headers, stored.headers)) {
      return { status: 304, headers: notModifiedHeaders(prepared.headers), age: prepared.ageText, body: undefined, outcome, cacheStatus: text }
    }
    return { status: stored.status, headers: prepared.headers, age: prepared.ageText, body: method === 'HEAD' ? undefined : prepared.body, outcome, cacheStatus: text }
  }

  /** The per-response work of serving it, done on its first hit (see Prepared). */
  private prepare(stored: StoredResponse): Prepared {
    let prepared = this.prepared.get(stored)
    if (prepared === undefined) {
      const { body } = stored
      prepared = {
        cc: this.policy(stored.headers).cc,
        lifetime: this.lifetime(stored),
        headers: this.clientHeaders(stored.headers),
        body: Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
        ageSeconds: -1,
        ageText: '',
        hitTtl: Number.NaN,
        hitText: '',
      }
      this.prepared.set(stored, prepared)
    }
    return prepared
  }

  // ------------------------------------------------------------------ origin traffic

  private async fetchAndStore(method: string, request: ProxyRequest, fwd: ForwardReason): Promise<ProxyResponse> {
    const fetched = await this.fetchCoalesced(request)
    return this.storeAndAnswer(method, request, fetched, 'MISS', fwd)
  }

  private async storeAndAnswer(method: string, request: ProxyRequest, fetched: Fetched, outcome: CacheOutcome, fwd: ForwardReason): Promise<ProxyResponse> {
    const { response } = fetched
    // Client validators are never forwarded on a miss: a 304 here answers a question nobody asked.
    if (response.status === 304) this.checkNotModified(undefined, fetched)
    const stored = response.body instanceof Readable ? undefined : toStored(fetched, request, response.body)
    const reason = stored === undefined ? 'too-large' : notStorableReason('GET', response.status, request.headers, response.headers, this.options.targets)
    if (stored !== undefined && reason === undefined) await this.save(request, stored)
    const headers = this.clientHeaders(response.headers)
    const age = Math.floor(correctedInitialAge(fetched.requestTime, fetched.responseTime, response.headers))
    if (age > 0) headers.age = String(age)
    const status: CacheStatusEntry = {
      fwd,
      fwdStatus: response.status,
      ...(stored !== undefined && reason === undefined
        ? { stored: true, ttl: this.lifetime(stored) - stored.correctedInitialAge }
        : { detail: `not stored: ${reason}` }),
      ...(fetched.collapsed === true ? { collapsed: true } : {}),
      ...(this.options.exposeKey ? { key: primaryKey(request.path) } : {}),
    }
    if (reason === undefined && clientValidatorMatches(request.headers, response.headers)) {
      return { status: 304, headers: notModifiedHeaders(headers), body: undefined, outcome, cacheStatus: cacheStatus(status) }
    }
    // A HEAD miss fetched a GET: a body too large to store is not read at all.
    if (method === 'HEAD') discard(response.body)
    return { status: response.status, headers, body: method === 'HEAD' ? undefined : response.body, outcome, cacheStatus: cacheStatus(status) }
  }

  /**
   * Concurrent misses for one target make one origin request. A waiter uses the leader's response only when it may
   * be shared (storable without Authorization) and selects the same variant; otherwise it asks the origin itself.
   */
  private async fetchCoalesced(request: ProxyRequest): Promise<Fetched> {
    if (request.headers.authorization !== undefined || request.headers.cookie !== undefined) return this.fetchOrigin(request)
    const key = primaryKey(request.path)
    const running = this.inflight.get(key)
    if (running !== undefined) {
      const shared = await running.catch(() => undefined)
      if (shared !== undefined && shared.shareable && sameVariant(shared, request)) return { ...shared, collapsed: true }
      return this.fetchOrigin(request)
    }
    const leader = this.fetchOrigin(request).finally(() => this.inflight.delete(key))
    this.inflight.set(key, leader)
    return leader
  }

  private async fetchOrigin(request: ProxyRequest, validators?: StoredResponse): Promise<Fetched> {
    const headers = this.forwardHeaders(request.headers, true)
    delete headers['if-none-match']
    delete headers['if-modified-since']
    let conditional = false
    if (validators !== undefined) {
      const etag = header(validators.headers, 'etag')
      const lastModified = header(validators.headers, 'last-modified')
      if (etag !== undefined) headers['if-none-match'] = etag
      else if (lastModified !== undefined) headers['if-modified-since'] = lastModified
      conditional = etag !== undefined || lastModified !== undefined
    }
    const requestTime = this.clock()
    const response = await this.origin.request('GET', request.path, headers, undefined, request.client, request.onInterim)
    const responseTime = this.clock()
    const varyNames = varyHeaders(response.headers)
    return {
      response,
      requestTime,
      responseTime,
      conditional,
      varyValues: varyNames.length === 0 ? undefined : selectValues(varyNames, request.headers),
      // A streamed body can be read once: a waiting request asks the origin itself.
      shareable: !(response.body instanceof Readable) && (notStorableReason('GET', response.status, {}, response.headers, this.options.targets) === undefined || response.status === 304),
    }
  }

  /** A conditional request for a stored response; concurrent revalidations of one entry share one origin request. */
  private revalidate(found: Found, request: ProxyRequest): Promise<Fetched> {
    const key = `rv:${found.key}`
    const hasValidator = found.stored.headers.etag !== undefined || found.stored.headers['last-modified'] !== undefined
    const validators = hasValidator ? found.stored : undefined
    const running = this.inflight.get(key)
    // A streamed answer can be read once: who joined it asks again.
    if (running !== undefined && request.headers.authorization === undefined) return running.then((shared) => (shared.response.body instanceof Readable ? this.fetchOrigin(request, validators) : shared))
    const promise = this.fetchOrigin(request, validators).finally(() => this.inflight.delete(key))
    this.inflight.set(key, promise)
    return promise
  }

  /** stale-while-revalidate: at most one background revalidation per stored response at a time. */
  private revalidateInBackground(found: Found, request: ProxyRequest): void {
    if (this.revalidations.has(found.key)) return
    const background: ProxyRequest = { method: 'GET', path: request.path, headers: { ...request.headers }, ...(request.client === undefined ? {} : { client: request.client }) }
    delete background.headers['cache-control']
    const task = this.revalidate(found, background)
      .then(async (fetched) => {
        if (fetched.response.body instanceof Readable) {
          // Nobody reads it, and the stored response is outdated by a representation too large to store.
          discard(fetched.response.body)
          await this.store.delete(found.key)
        } else if (fetched.response.status === 304) {
          this.checkNotModified(found.stored, fetched)
          await this.put(found.key, request.path, this.freshen(found.stored, fetched))
        } else if (fetched.response.status < 500) await this.storeAndAnswer('GET', background, fetched, 'MISS', 'stale')
      })
      .catch(() => undefined)
      .finally(() => this.revalidations.delete(found.key))
    this.revalidations.set(found.key, task)
  }

  /**
   * §4.3.4: a 304 updates a stored response only if we asked conditionally with its validators and the 304 does not
   * name another representation (a different strong ETag or Last-Modified). Otherwise it is an origin error.
   */
  private checkNotModified(stored: StoredResponse | undefined, fetched: Fetched): void {
    const fail = (why: string): never => {
      throw new StrataError('E_ORIGIN_FAILED', `Upstream '${this.upstream}' answered 304 Not Modified ${why}`, { context: { upstream: this.upstream } })
    }
    if (stored === undefined || !fetched.conditional) return fail('to a request that was not conditional')
    const etag = header(fetched.response.headers, 'etag')
    const storedEtag = header(stored.headers, 'etag')
    if (etag !== undefined && storedEtag !== undefined && !weakEqual(etag, storedEtag)) fail('with an ETag that is not the stored one')
    const lastModified = header(fetched.response.headers, 'last-modified')
    const storedLastModified = header(stored.headers, 'last-modified')
    if (etag === undefined && lastModified !== undefined && storedLastModified !== undefined && httpDate(lastModified) !== httpDate(storedLastModified)) {
      fail('with a Last-Modified that is not the stored one')
    }
  }

  /** §4.3.4: a 304 updates the stored header fields and restarts the age computation. */
  private freshen(stored: StoredResponse, fetched: Fetched): StoredResponse {
    const headers = { ...stored.headers }
    for (const [name, value] of Object.entries(fetched.response.headers)) {
      if (name === 'content-length' || name === 'content-encoding' || name === 'content-type') continue
      headers[name] = value
    }
    const { softPurgedAt: _purged, ...kept } = stored
    return {
      ...kept,
      headers,
      requestTime: fetched.requestTime,
      responseTime: fetched.responseTime,
      correctedInitialAge: correctedInitialAge(fetched.requestTime, fetched.responseTime, headers),
    }
  }

  // ------------------------------------------------------------------ the store

  private async lookup(request: ProxyRequest): Promise<{ found?: Found; reason: ForwardReason }> {
    const key = primaryKey(request.path)
    // The engine's fresh read inline: one async step less on a hit.
    const value = await this.store.get(key)
    const primary = value !== undefined ? { value, stale: false } : await this.readStale(key)
    if (primary === undefined) return { reason: 'uri-miss' }
    let found: Found | undefined
    if (primary.value.kind === 'vary') {
      const secondary = secondaryKey(request.path, selectValues(primary.value.headers, request.headers))
      const variant = await this.read(secondary)
      if (variant?.value.kind !== 'response') return { reason: 'vary-miss' }
      found = {
        key: secondary,
        stored: variant.value,
        ...(variant.stale ? { softPurged: true } : {}),
        ...(primary.stale ? { staleVaryRecord: primary.value } : {}),
      }
    } else {
      found = { key, stored: primary.value, ...(primary.stale ? { softPurged: true } : {}) }
    }
    // §3.5: a stored response is reused for a request with Authorization only if the response allows sharing.
    if (request.headers.authorization !== undefined && !sharedWithAuthorization(this.prepare(found.stored).cc)) {
      return { reason: 'miss' }
    }
    const settled = found.softPurged === true || found.staleVaryRecord !== undefined ? await this.endFreshness(found, request.path) : found
    return { found: settled, reason: 'miss' }
  }

  /**
   * A stored value, fresh in the engine or stale there. The proxy's entries are kept without engine grace, so only a
   * soft purge (expireByTag) makes one stale; `inspect` finds it without counting the read a second time.
   */
  private async read(key: string): Promise<Read<StoredValue> | undefined> {
    const fresh = await this.store.get(key)
    return fresh !== undefined ? { value: fresh, stale: false } : this.readStale(key)
  }

  /** A value the engine holds stale (after its fresh read missed). */
  private async readStale(key: string): Promise<Read<StoredValue> | undefined> {
    const held = await this.store.inspect(key)
    return held?.state === 'stale' ? { value: held.value, stale: true } : undefined
  }

  /**
   * The first read of a soft-purged response ends its freshness in the stored response itself, written back (fresh
   * in the engine again): from then on it is a stale response like any other, on every instance, and its staleness
   * counts from here, not from when it would have expired. A soft-purged VaryRecord is only written back.
   */
  private async endFreshness(found: Found, path: string): Promise<Found> {
    const stored: StoredResponse = found.softPurged === true ? { ...found.stored, softPurgedAt: found.stored.softPurgedAt ?? this.clock() } : found.stored
    if (found.staleVaryRecord !== undefined) {
      await this.store.set(primaryKey(path), found.staleVaryRecord, { ttl: this.storageMs(stored), tags: [urlTag(path)] })
    }
    if (found.softPurged === true) await this.put(found.key, path, stored)
    return { key: found.key, stored }
  }

  private async save(request: ProxyRequest, stored: StoredResponse): Promise<void> {
    const names = varyHeaders(stored.headers)
    if (names.length === 0) {
      await this.put(primaryKey(request.path), request.path, stored)
      return
    }
    const record: VaryRecord = { kind: 'vary', headers: names }
    const ttl = this.storageMs(stored)
    await this.store.set(primaryKey(request.path), record, { ttl, tags: [urlTag(request.path)] })
    await this.put(secondaryKey(request.path, stored.varyValues ?? {}), request.path, stored)
  }

  private async put(key: string, path: string, stored: StoredResponse): Promise<void> {
    const surrogateKeys = (header(stored.headers, 'surrogate-key') ?? '').split(/\s+/).filter(validTag).slice(0, 64)
    await this.store.set(key, stored, { ttl: this.storageMs(stored), tags: [urlTag(path), ...surrogateKeys] })
  }

  /**
   * How long the engine keeps a response: its remaining freshness plus the longest stale window it may still be
   * served in (RFC 5861, or the upstream's own stale-if-error), plus time to revalidate it conditionally if it has
   * a validator.
   */
  private storageMs(stored: StoredResponse): number {
    const { cc } = this.policy(stored.headers)
    const remaining = Math.max(0, this.lifetime(stored) - currentAge(stored, this.clock()))
    const staleWindow = Math.max(cc.seconds('stale-while-revalidate') ?? 0, cc.seconds('stale-if-error') ?? 0, this.options.staleIfErrorSeconds)
    const hasValidator = stored.headers.etag !== undefined || stored.headers['last-modified'] !== undefined
    const keep = (remaining + staleWindow) * 1000 + (hasValidator ? this.options.keepForRevalidationMs : 0)
    return Math.min(MAX_STORE_MS, Math.max(1_000, Math.ceil(keep)))
  }

  /** §4.2.1's freshness lifetime, cut at the age the response had when a soft purge ended it. */
  private lifetime(stored: StoredResponse): number {
    const lifetime = freshnessLifetime(stored, this.options.heuristicFraction, this.options.targets, this.options.negativeSeconds)
    return stored.softPurgedAt === undefined ? lifetime : Math.min(lifetime, currentAge(stored, stored.softPurgedAt))
  }

  private policy(headers: Record<string, string | string[]>) {
    return responsePolicy(headers, this.options.targets)
  }

  // ------------------------------------------------------------------ pass-through

  private async pass(method: string, request: ProxyRequest, fwd: ForwardReason, detail?: string): Promise<ProxyResponse> {
    const response = await this.origin.request(method, request.path, this.forwardHeaders(request.headers, fwd !== 'method'), request.body, request.client, request.onInterim)
    return {
      status: response.status,
      headers: this.clientHeaders(response.headers),
      body: method === 'HEAD' ? undefined : response.body,
      outcome: 'BYPASS',
      cacheStatus: cacheStatus({ fwd, fwdStatus: response.status, ...(detail === undefined ? {} : { detail }) }),
    }
  }

  /**
   * §4.4: a non-error answer to an unsafe method (or one whose safety we do not know) invalidates the stored responses
   * for its target, and for the Location and Content-Location it names when they are on this upstream.
   */
  private async passUnsafe(method: string, request: ProxyRequest): Promise<ProxyResponse> {
    const answer = await this.pass(method, request, 'method')
    if (answer.status >= 200 && answer.status < 400) {
      const targets = new Set([request.path])
      for (const name of ['location', 'content-location']) {
        const related = sameOriginTarget(header(answer.headers, name), request.path)
        if (related !== undefined) targets.add(related)
      }
      await Promise.all([...targets].map((target) => this.purgeUrl(target)))
    }
    return answer
  }

  /** Shareable requests get only allowlisted fields; every request loses the URL/host/method overrides. */
  private forwardHeaders(headers: Record<string, string | string[] | undefined>, shared: boolean): Record<string, string | string[]> {
    const forwarded = withoutUnkeyedOverrides(endToEndHeaders(headers))
    if (shared) for (const name of Object.keys(forwarded)) if (!allowedOnSharedRequest(name, this.options.forwardHeaders)) delete forwarded[name]
    forwarded.via = '1.1 strata'
    return forwarded
  }

  private clientHeaders(headers: Record<string, string | string[]>): Record<string, string | string[]> {
    const result = { ...headers }
    for (const name of INTERNAL_RESPONSE_FIELDS) delete result[name]
    for (const name of this.options.privateTargets) delete result[name]
    return result
  }
}

/**
 * RFC 9110 §14: a 206 (or 416) cut from a complete 200 the cache is about to serve, with its stored header fields
 * (§15.3.7.1: the fields a 200 would have, Content-Range instead of the full length).
 */
function withRange(answer: ProxyResponse, requestHeaders: Readonly<Record<string, string | string[] | undefined>>, body: Uint8Array): ProxyResponse {
  const range = answerRange(
    header(requestHeaders, 'range') ?? '',
    header(requestHeaders, 'if-range'),
    body,
    { etag: header(answer.headers, 'etag'), lastModified: header(answer.headers, 'last-modified'), date: header(answer.headers, 'date') },
    header(answer.headers, 'content-type'),
  )
  if (range.kind === 'full') return answer
  const headers: Record<string, string | string[]> = { ...answer.headers, 'accept-ranges': 'bytes' }
  if (range.kind === 'unsatisfiable') return { ...answer, status: 416, headers: { ...headers, 'content-range': range.contentRange }, body: Buffer.alloc(0) }
  delete headers['content-type']
  if (range.contentType !== undefined) headers['content-type'] = range.contentType
  if (range.contentRange !== undefined) headers['content-range'] = range.contentRange
  return { ...answer, status: 206, headers, body: range.body }
}

/**
 * A Location or Content-Location as a target on this upstream (RFC 9111 §4.4: only same-origin ones may be
 * invalidated): a relative reference resolved against the request, never one naming another host.
 */
function sameOriginTarget(value: string | undefined, requestPath: string): string | undefined {
  if (value === undefined || value === '') return undefined
  try {
    const base = new URL(requestPath, 'http://upstream.invalid')
    const resolved = new URL(value, base)
    if (resolved.origin !== base.origin) return undefined
    return resolved.pathname + resolved.search
  } catch {
    return undefined
  }
}

function toStored(fetched: Fetched, request: ProxyRequest, body: Uint8Array): StoredResponse {
  const { response } = fetched
  return {
    kind: 'response',
    status: response.status,
    headers: response.headers,
    body,
    requestTime: fetched.requestTime,
    responseTime: fetched.responseTime,
    correctedInitialAge: correctedInitialAge(fetched.requestTime, fetched.responseTime, response.headers),
    ...(fetched.varyValues === undefined ? {} : { varyValues: fetched.varyValues }),
    authorized: request.headers.authorization !== undefined,
  }
}

function primaryKey(path: string): string {
  return path
}

function secondaryKey(path: string, values: Record<string, string>): string {
  return `${path}#vary:${createHash('sha256').update(JSON.stringify(values)).digest('hex').slice(0, 32)}`
}

function urlTag(path: string): string {
  return `url:${createHash('sha256').update(path).digest('hex').slice(0, 40)}`
}

function validTag(tag: string): boolean {
  return tag.length > 0 && tag.length <= 256 && !tag.startsWith('url:')
}

function varyHeaders(headers: Record<string, string | string[]>): string[] {
  return (header(headers, 'vary') ?? '')
    .split(',')
    .map((f) => f.trim().toLowerCase())
    .filter((f) => f !== '')
    .sort()
}

/** §4.1: selecting header values, normalised (whitespace around commas collapsed); absent is distinct from empty. */
function selectValues(names: readonly string[], headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const values: Record<string, string> = {}
  for (const name of names) {
    const value = headers[name]
    values[name] = value === undefined ? '\u2205' : (Array.isArray(value) ? value.join(',') : value).replace(/\s*,\s*/g, ',').trim()
  }
  return values
}

function sameVariant(fetched: Fetched, request: ProxyRequest): boolean {
  if (fetched.varyValues === undefined) return true
  const mine = selectValues(Object.keys(fetched.varyValues), request.headers)
  return Object.entries(fetched.varyValues).every(([name, value]) => mine[name] === value)
}

/** RFC 9110 §15.4.5: a 304 carries the fields a 200 would have, without content. */
function notModifiedHeaders(headers: Readonly<Record<string, string | string[]>>): Record<string, string | string[]> {
  const result = { ...headers }
  delete result['content-type']
  delete result['content-encoding']
  return result
}

/** RFC 9110 §13.1.1/§13.1.3: If-None-Match (weak comparison) wins over If-Modified-Since. */
function clientValidatorMatches(request: Record<string, string | string[] | undefined>, response: Record<string, string | string[]>): boolean {
  const ifNoneMatch = request['if-none-match']
  if (ifNoneMatch !== undefined) {
    const etag = header(response, 'etag')
    if (etag === undefined) return false
    const list = (Array.isArray(ifNoneMatch) ? ifNoneMatch.join(',') : ifNoneMatch).split(',').map((t) => t.trim())
    return list.includes('*') || list.some((tag) => weakEqual(tag, etag))
  }
  const since = httpDate(header(request, 'if-modified-since'))
  if (since === undefined) return false
  const lastModified = httpDate(header(response, 'last-modified'))
  return lastModified !== undefined && lastModified <= since
}

function weakEqual(a: string, b: string): boolean {
  return a.replace(/^W\//, '') === b.replace(/^W\//, '')
}

/** A streamed body nobody will read: destroyed, which frees its origin connection. */
function discard(body: Uint8Array | Readable | undefined): void {
  if (body instanceof Readable) body.destroy()
}

function notCached(path: string): StrataError {
  return new StrataError('E_NOT_CACHED', `only-if-cached: no stored response for '${path}' can be served`, { context: { path } })
}
