/**
 * The fast side channel for invalidations, beside the durable bus: every cache instance hears every message within
 * a network round trip, but at most once and only while connected (Redis pub/sub: no consumer groups, no replay, no
 * acknowledgement). That is why it is not a Transport: nothing may rest on it. The Transport carries every
 * invalidation too, and the guarantees (delivery, order, the staleness bound) rest on that copy alone; a message the
 * fast channel loses costs latency, nothing else. Like Transport adapters, a fanout moves strings and knows nothing of
 * events (TransportInvalidationBus encodes and validates them).
 */
export interface InvalidationFanout {
  /** `redis`. */
  readonly name: string
  /**
   * Hands one message to every subscriber connected right now. Resolves once the channel took it; rejects at once
   * while the channel is down (nothing is queued: a late fast copy is worth less than the durable one behind it).
   */
  publish(payload: string): Promise<void>
  /**
   * Calls `handler` with every message published from now on while connected, re-subscribing after each reconnect.
   * Resolves once live, or after a short wait if the channel is down (it keeps trying): a cache never waits for its
   * fast path to start. The returned function stops it.
   */
  subscribe(handler: (payload: string) => void): Promise<() => Promise<void>>
}
