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
   */
  subscribe(handler: (message: InvalidationMessage) => void, onGap?: (reason: string) => void): Promise<() => Promise<void>>
}

/** A write handed to the write-behind queue; the flusher applies the latest version per key. */
export interface BufferedWrite {
  namespace: string
  key: string
  /** Encoded with the namespace codec; null is a delete. */
  value: unknown
  version: number
  at: number
}

/** The queue port as the engine sees it; `enqueue` resolves only once the write is durable. */
export interface WriteBehindQueue {
  enqueue(write: BufferedWrite): Promise<void>
}
