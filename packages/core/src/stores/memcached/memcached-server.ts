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

/**
 * One memcached server of the pool: its own `memcached` client (holding only this server, so the client's hashing and
 * failover never come into play), its health, and the probe that brings it back.
 *
 * Why not the client's own failover (`retries`, `retry`, `failures`, `remove`, `reconnect`): read from its source and
 * issue tracker, a server it marks failed is either removed from the ring for good (`remove: true`; 3rd-Eden/memcached
 * #289) or retried after `reconnect` ms via an ICMP `ping` child process that says nothing about memcached itself
 * (#166); requests in flight on a connection that dies are never called back (#195, #199); and with default options a
 * request to a down server waits ~100 s for the pool's retries (#273). So this class takes the server out on the first
 * socket error (or a few timeouts), fails its in-flight requests at once, discards that client, probes the server with
 * a real `version`, and builds a fresh client when it answers.
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
          this.#takeOut(client, cause.message)
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
      this.#client = this.#newClient()
      this.#timeouts = 0
      this.#setState('up', wasDown ? 'answered the probe; flushed and back in service' : 'answered the first probe')
    } catch (error) {
      if (this.#state === 'closed') return
      this.#setState('down', error instanceof Error ? error.message : String(error))
      this.#scheduleProbe()
    }
  }

  #takeOut(client: Memcached, reason: string): void {
    if (this.#client !== client || this.#state !== 'up') return
    this.#client = undefined
    client.end()
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

  #newClient(): Memcached {
    const options: Memcached.options & { failuresTimeout: number } = {
      poolSize: this.#options.poolSize,
      timeout: this.#options.connectTimeoutMs,
      idle: 30_000,
      // The pool's connect retries with backoff are what make a request to a dead server hang for minutes.
      retries: 0,
      // We take the server out on the first issue and discard this client, so its own failure bookkeeping only has to
      // stay harmless: short timers, never reaching the ping-based reconnect or ring removal.
      retry: 0,
      failures: Number.MAX_SAFE_INTEGER,
      failuresTimeout: 0,
      remove: false,
      keyCompression: false,
      maxKeySize: 250,
      // The client rejects larger values itself (reported as E_VALUE_TOO_LARGE) instead of sending them to a server
      // that would answer SERVER_ERROR, which this client mistakes for a dead connection. Room is left for the key
      // and memcached's item header.
      maxValue: this.#itemSizeMax - 512,
    }
    const client = new Memcached(this.address, options)
    client.on('issue', (details) => this.#takeOut(client, `issue: ${details.messages?.join('; ') ?? 'connection error'}`))
    client.on('failure', (details) => this.#takeOut(client, `failure: ${details.messages?.join('; ') ?? 'connection error'}`))
    return client
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
