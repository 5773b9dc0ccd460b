import type { InvalidationKind } from './cache-events.js'

/**
 * What one cache instance tells the others so their L1s follow (ARCHITECTURE.md: `strata.invalidations.v1`).
 * `origin` identifies the sender so it can ignore its own messages.
 */
export interface InvalidationMessage {
  origin: string
  namespace: string
  kind: InvalidationKind
  keys?: string[]
  tags?: string[]
  /** For `kind: 'prefix'`: every key of the namespace that starts with it. */
  prefix?: string
  /** When it happened (epoch ms): tag records use it as the invalidation time. */
  at: number
}

/** The bus port as the engine sees it; packages/bus adapts Kafka and the in-process bus to it. */
export interface InvalidationBus {
  publish(message: InvalidationMessage): Promise<void>
  /**
   * `onGap` is called when the bus cannot vouch that this instance saw every message since it subscribed (a
   * connection lost for too long, skipped offsets); the engine then drops its whole L1, which it can no longer trust.
   * `onHeard(upTo)` (buses with `heartbeatMs`) vouches that every invalidation published before `upTo` (epoch ms,
   * this process's clock) has been handed to `handler`.
   */
  subscribe(handler: (message: InvalidationMessage) => void, onGap?: (reason: string) => void, onHeard?: (upTo: number) => void): Promise<() => Promise<void>>
  /**
   * Set by a bus that calls `onHeard` about this often while it hears the stream (Kafka, through heartbeats). The
   * engine then serves an L1 copy only while the last vouched time is within its `maxStalenessMs`: a broker outage,
   * a partition or a stalled consumer turns L1 reads into L2 reads instead of stale answers.
   */
  readonly heartbeatMs?: number
}

/**
 * Where invalidations the bus could not take wait to be broadcast (a list in Redis): appended before the caller is
 * answered, relayed in order by any instance once the bus takes them again.
 */
export interface InvalidationOutbox {
  /** Resolves once the message is durable; rejects if it could not be kept. */
  append(message: InvalidationMessage): Promise<void>
  /**
   * Hands the oldest waiting messages (at most `limit`, in order) to `publish` and removes them once it resolved; a
   * no-op while another instance relays. Resolves with how many were relayed.
   */
  relay(limit: number, publish: (messages: readonly InvalidationMessage[]) => Promise<void>): Promise<number>
  /** How many wait; rejects when the store cannot be asked. */
  size(): Promise<number>
  close?(): Promise<void>
}

/** A write handed to the write-behind queue; the flusher applies the latest version per key. */
export interface BufferedWrite {
  namespace: string
  key: string
  /** Encoded with the namespace codec; null is a delete. */
  value: unknown
  version: number
  at: number
  /** The entry's tags, kept with the write so an erasure can find writes whose cached entry is already gone. */
  tags?: readonly string[]
}

/** The queue port as the engine sees it; `enqueue` resolves only once the write is durable. */
export interface WriteBehindQueue {
  enqueue(write: BufferedWrite): Promise<void>
  /**
   * Drops the pending (acknowledged, not yet flushed) writes of `namespace` whose entry carries `tag`, so an erasure
   * is not undone by a later flush; pending deletes stay. Resolves with how many writes were dropped. A write a
   * flush has already read is beyond reach: it lands at the origin.
   */
  discardTagged(namespace: string, tag: string): Promise<number>
}
