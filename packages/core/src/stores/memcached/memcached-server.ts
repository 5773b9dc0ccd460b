import Memcached from 'memcached'
import { flushAll, probe } from './memcached-text-protocol.js'

export type ServerState = 'unknown' | 'up' | 'down' | 'closed'

export interface ServerOptions {
  /** Per-operation deadline; the client may never call back on a connection that died mid-request. */
  timeoutMs: number
  /** TCP connect and probe deadline. */
  connectTimeoutMs: number
  /** How often a down server is probed. */
  probeIntervalMs: number
  /** Consecutive operation timeouts that take a server out (socket errors do at once). */
  timeoutsBeforeDown: number
  /** Empty a server before it rejoins (see MemcachedStoreOptions.flushOnRevive). */
  flushOnRevive: boolean
  poolSize: number
  onStateChange: ((address: string, state: ServerState, reason: string) => void) | undefined
}

/** Thrown by `MemcachedServer.call` when the server is (or just went) out of service; the store degrades on it. */
export class ServerDownError extends Error {
  override readonly name = 'ServerDownError'
}

type Callback<T> = (error: unknown, result: T) => void

/** Errors the client reports for a broken connection (as opposed to NOT_STORED, a too-large value, CLIENT_ERROR). */
const CONNECTION_ERROR = /ECONN|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|not available|readyState|Timed out|Unable to connect|connection/i
const POOL_FULL = /connection pool is full/i

/**
 * One memcached server of the pool: its own `memcached` client (holding only this server, so the client's hashing and
 * failover never come into play), its health, and the probe that brings it back.
 *
 * Why not the client's own failover (`retries`, `retry`, `failures`, `failuresTimeout`, `remove`, `reconnect`), read
 * from its source and issue tracker: a server it removes (`remove: true`) never comes back (3rd-Eden/memcached #289);
 * otherwise, after `failures` issues it "reconnects" after `reconnect` ms (5 h by default) by spawning an ICMP `ping`
 * that says nothing about memcached (#166) and, where no `ping` binary is installed, crashes the process with an
 * unhandled spawn error; requests in flight on a connection that dies are never called back (#195, #199); with the
 * default pool retries a request to a down server waits ~100 s (#273); and `idle` closes connections, after which a
 * burst of requests fails with "The connection pool is full", which the client reports as a server issue.
 *
 * So: the client's bookkeeping is kept inert (see #newClient), and this class takes the server out on the first socket
 * error (or a few timeouts), fails its in-flight requests at once, discards that client, probes the server with a real
 * `version` every probeIntervalMs, and builds a fresh, pre-connected client when it answers (after flush_all, see
 * MemcachedStoreOptions.flushOnRevive).
 */
export class MemcachedServer {
  readonly address: string
  #state: ServerState = 'unknown'
  #client: Memcached | undefined
  #itemSizeMax = 1024 * 1024
  #version = ''
  #timeouts = 0
  #probing: Promise<void> | undefined
  #probeTimer: NodeJS.Timeout | undefined
  readonly #inFlight = new Set<(error: Error) => void>()
  readonly #options: ServerOptions

  constructor(address: string, options: ServerOptions) {
    this.address = address
    this.#options = options
  }

  get state(): ServerState {
    return this.#state
  }

  /** The server's item_size_max, read by the probe. */
  get itemSizeMax(): number {
    return this.#itemSizeMax
  }

  get version(): string {
    return this.#version
  }

  /** True when the server can take requests; the first call waits for the first probe. */
  async ready(): Promise<boolean> {
    if (this.#state === 'unknown') await this.#probe()
    return this.#state === 'up'
  }

  /** Probes a down server now instead of at its next interval (ping() uses this to notice a revival promptly). */
  async probeNow(): Promise<boolean> {
    if (this.#state === 'down' || this.#state === 'unknown') await this.#probe()
    return this.#state === 'up'
  }

  /** Runs one client call with a deadline. Rejects with ServerDownError when the server is or goes out of service. */
  async call<T>(operation: (client: Memcached, callback: Callback<T>) => void): Promise<T> {
    const client = this.#client
    if (this.#state !== 'up' || client === undefined) throw new ServerDownError(`memcached ${this.address} is ${this.#state}`)
    return new Promise<T>((resolve, reject) => {
      let settled = false
      const fail = (error: Error): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        this.#inFlight.delete(fail)
        reject(error)
      }
      const timer = setTimeout(() => {
        fail(new ServerDownError(`memcached ${this.address} did not answer within ${this.#options.timeoutMs} ms`))
        if (++this.#timeouts >= this.#options.timeoutsBeforeDown) this.#takeOut(client, 'timeouts')
      }, this.#options.timeoutMs)
      this.#inFlight.add(fail)
      operation(client, (error, result) => {
        if (settled) return
        if (error === undefined || error === null || isNotStored(error)) {
          settled = true
          clearTimeout(timer)
          this.#inFlight.delete(fail)
          this.#timeouts = 0
          resolve(result)
          return
        }
        const cause = firstError(error)
        if (CONNECTION_ERROR.test(cause.message)) {
          fail(new ServerDownError(`memcached ${this.address}: ${cause.message}`, { cause }))
          this.#onClientFailure(client, cause.message)
        } else {
          fail(cause)
        }
      })
    })
  }

  close(): void {
    this.#state = 'closed'
    clearTimeout(this.#probeTimer)
    this.#client?.end()
    this.#client = undefined
    this.#failInFlight('the store was disconnected')
  }

  async #probe(): Promise<void> {
    this.#probing ??= this.#runProbe().finally(() => {
      this.#probing = undefined
    })
    await this.#probing
  }

  async #runProbe(): Promise<void> {
    const wasDown = this.#state === 'down'
    try {
      const result = await probe(this.address, this.#options.connectTimeoutMs)
      // A server we could not reach may have missed deletes and sets meant for it (ours and other processes'): its
      // contents can be stale, so it rejoins empty. A restarted server is empty anyway.
      if (wasDown && this.#options.flushOnRevive) await flushAll(this.address, this.#options.connectTimeoutMs)
      if (this.#state === 'closed') return
      this.#itemSizeMax = result.itemSizeMax
      this.#version = result.version
      const client = await this.#newClient()
      if (this.#closed()) {
        client.end()
        return
      }
      this.#client = client
      this.#timeouts = 0
      this.#setState('up', wasDown ? 'answered the probe; flushed and back in service' : 'answered the first probe')
    } catch (error) {
      if (this.#state === 'closed') return
      this.#setState('down', error instanceof Error ? error.message : String(error))
      this.#scheduleProbe()
    }
  }

  /** A method, not a field read: TypeScript would otherwise keep the narrowing from before an await. */
  #closed(): boolean {
    return this.#state === 'closed'
  }

  #takeOut(client: Memcached | undefined, reason: string): void {
    if (this.#client !== client || this.#state !== 'up') return
    this.#client = undefined
    client?.end()
    this.#setState('down', reason)
    this.#failInFlight(reason)
    this.#scheduleProbe()
  }

  #scheduleProbe(): void {
    clearTimeout(this.#probeTimer)
    this.#probeTimer = setTimeout(() => void this.#probe(), this.#options.probeIntervalMs)
    // Probing must not keep a process alive that has nothing else to do.
    this.#probeTimer.unref()
  }

  #failInFlight(reason: string): void {
    for (const fail of [...this.#inFlight]) fail(new ServerDownError(`memcached ${this.address}: ${reason}`))
  }

  #setState(state: ServerState, reason: string): void {
    if (this.#state === state) return
    this.#state = state
    this.#options.onStateChange?.(this.address, state, reason)
  }

  async #newClient(): Promise<Memcached> {
    const options: Memcached.options & { failuresTimeout: number } = {
      poolSize: this.#options.poolSize,
      timeout: this.#options.connectTimeoutMs,
      // Never close idle connections: a pool with no open connection fails a burst of requests with "The connection
      // pool is full" (jackpot counts connections still opening as unavailable).
      idle: 0,
      // The pool's connect retries with backoff are what make a request to a dead server hang for minutes.
      retries: 0,
      // The client's failure bookkeeping must stay inert, since we take the server out ourselves: with failures 0 and
      // remove true, an issue only emits 'remove' and 'failure' (we discard the client then); any other setting
      // starts retry/reconnect timers that outlive the client and end in spawning `ping`.
      failures: 0,
      remove: true,
      retry: 0,
      failuresTimeout: 0,
      keyCompression: false,
      maxKeySize: 250,
      // The client rejects larger values itself (reported as E_VALUE_TOO_LARGE) instead of sending them to a server
      // that would answer SERVER_ERROR, which this client mistakes for a dead connection. Room is left for the key
      // and memcached's item header.
      maxValue: this.#itemSizeMax - 512,
    }
    const client = new Memcached(this.address, options)
    client.on('failure', (details) => this.#onClientFailure(client, details.messages?.join('; ') ?? 'connection error'))
    // Open one connection before taking traffic, for the reason given at `idle`.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`memcached ${this.address} did not answer within ${this.#options.connectTimeoutMs} ms`)), this.#options.connectTimeoutMs)
      client.version((error: unknown) => {
        clearTimeout(timer)
        if (error) reject(firstError(error))
        else resolve()
      })
    }).catch((error: unknown) => {
      client.end()
      throw error
    })
    return client
  }

  /** A client that reported a failure is done for (remove: true): replace it, or take the server out. */
  #onClientFailure(client: Memcached, reason: string): void {
    if (!POOL_FULL.test(reason)) {
      this.#takeOut(client, reason)
      return
    }
    // Not the server's fault: swap in a fresh client without flushing; requests on the old one degrade.
    if (this.#client !== client || this.#state !== 'up') return
    this.#client = undefined
    client.end()
    this.#failInFlight(reason)
    this.#newClient().then(
      (fresh) => {
        if (this.#state === 'up' && this.#client === undefined) this.#client = fresh
        else fresh.end()
      },
      (error: unknown) => this.#takeOut(undefined, error instanceof Error ? error.message : String(error)),
    )
  }
}

function isNotStored(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { notStored?: unknown }).notStored === true
}

/** The client reports either one error or an array of them. */
function firstError(error: unknown): Error {
  const first: unknown = Array.isArray(error) ? error[0] : error
  return first instanceof Error ? first : new Error(String(first))
}
