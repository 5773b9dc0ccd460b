import { StrataError } from '@strata/core'

export interface OriginGateOptions {
  /** Requests in flight to the origin at once (the connection pool's size). */
  limit: number
  /** Of those, how many one client may hold: the rest stay free for everyone else. */
  perClient: number
  /** Requests waiting, all clients together; past it the answer is 503. */
  maxQueued: number
  /** How long a request may wait for a connection before it is answered 503. */
  maxWaitMs: number
}

interface Waiter {
  grant: (release: () => void) => void
  refuse: (error: StrataError) => void
  timer: NodeJS.Timeout
}

/**
 * Admission to one upstream's connections, fair between clients (an API key, a JWT subject, or an address). A client
 * never holds more than `perClient` connections, and waiting requests are served round-robin by client, so one
 * caller's flood of slow misses queues behind its own share instead of starving everyone (the same idea as
 * per-flow fair queuing). Concurrent misses for one URL are already one request (the cache coalesces them), so
 * fairness per key comes from there. A full queue, or a wait past `maxWaitMs`, is a 503 with Retry-After.
 */
export class OriginGate {
  private active = 0
  private queued = 0
  private readonly activeBy = new Map<string, number>()
  /** Insertion order is service order: a client that was just served goes to the back. */
  private readonly queues = new Map<string, Waiter[]>()

  constructor(
    readonly upstream: string,
    private readonly options: OriginGateOptions,
  ) {}

  acquire(client: string): Promise<() => void> | (() => void) {
    if (this.active < this.options.limit && (this.activeBy.get(client) ?? 0) < this.options.perClient) return this.admit(client)
    if (this.queued >= this.options.maxQueued) return Promise.reject(this.busy('queue-full'))
    return new Promise((grant, refuse) => {
      const waiter: Waiter = {
        grant,
        refuse,
        timer: setTimeout(() => {
          const queue = this.queues.get(client)
          const at = queue?.indexOf(waiter) ?? -1
          if (queue === undefined || at === -1) return
          queue.splice(at, 1)
          this.queued--
          if (queue.length === 0) this.queues.delete(client)
          refuse(this.busy('wait-timeout'))
        }, this.options.maxWaitMs),
      }
      waiter.timer.unref()
      let queue = this.queues.get(client)
      if (queue === undefined) this.queues.set(client, (queue = []))
      queue.push(waiter)
      this.queued++
    })
  }

  /** Requests in flight and waiting, for tests and metrics. */
  get load(): { active: number; queued: number } {
    return { active: this.active, queued: this.queued }
  }

  private admit(client: string): () => void {
    this.active++
    this.activeBy.set(client, (this.activeBy.get(client) ?? 0) + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      this.active--
      const held = (this.activeBy.get(client) ?? 1) - 1
      if (held === 0) this.activeBy.delete(client)
      else this.activeBy.set(client, held)
      this.dispatch()
    }
  }

  private dispatch(): void {
    while (this.active < this.options.limit) {
      let next: string | undefined
      for (const [client] of this.queues) {
        if ((this.activeBy.get(client) ?? 0) < this.options.perClient) {
          next = client
          break
        }
      }
      if (next === undefined) return
      const queue = this.queues.get(next)!
      const waiter = queue.shift()!
      this.queued--
      this.queues.delete(next)
      if (queue.length > 0) this.queues.set(next, queue)
      clearTimeout(waiter.timer)
      waiter.grant(this.admit(next))
    }
  }

  private busy(reason: 'queue-full' | 'wait-timeout'): StrataError {
    return new StrataError('E_UPSTREAM_BUSY', `Upstream '${this.upstream}' is busy (${reason === 'queue-full' ? 'its wait queue is full' : 'no connection freed in time'}); retry shortly`, {
      context: { upstream: this.upstream, reason, retryAfterMs: 1_000 },
    })
  }
}
