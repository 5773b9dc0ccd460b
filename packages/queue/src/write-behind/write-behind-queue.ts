import { setTimeout as sleep } from 'node:timers/promises'
import { StrataError, type BufferedWrite, type WriteBehindQueue } from '@strata/core'
import type { BackpressureLimits, PendingWrites } from './pending-writes.js'
import { withBufferAddSpan } from './write-behind-tracing.js'

export interface WriteBehindQueueOptions {
  /** Where writes wait for the flusher: RedisPendingWrites in production, MemoryPendingWrites embedded. */
  pending: PendingWrites
  /** Refuse new writes past this many keys with a pending write (0 = no limit; default 100 000). */
  maxDepth?: number
  /** Refuse new writes while the oldest pending write is older than this (0 = no limit; default 60 s). */
  maxLagMs?: number
  /** 'reject' answers E_BACKPRESSURE at once; 'block' waits up to `blockTimeoutMs` for room, then rejects. */
  policy?: 'reject' | 'block'
  blockTimeoutMs?: number
  /** The retryAfterMs a refusal carries (the gateway's Retry-After); default 1 s. */
  retryAfterMs?: number
  /** The queue's name on spans (the flusher's STRATA_WB_QUEUE); default 'write-behind'. */
  name?: string
  /**
   * The W3C traceparent stamped on each write, overriding the default: the `<name> publish` span each add opens under
   * the caller's span (none outside a trace), which the flusher continues.
   */
  traceparent?: () => string | undefined
  clock?: () => number
}

export interface BackpressureState {
  overLimit: boolean
  reason: 'depth' | 'lag' | undefined
  depth: number
  lagMs: number
  retryAfterMs: number
}

export interface WriteBehindQueueHandle extends WriteBehindQueue {
  /** The buffer's state against the limits, for a gateway that wants to shed load before doing any work. */
  backpressure(): Promise<BackpressureState>
}

/**
 * The engine's `WriteBehindQueue` over a write-behind buffer. `enqueue` resolves once the buffer has the write
 * (for Redis: the script ran and, with the queue Redis' append-only file, is on disk before the reply is read),
 * which is what "acknowledged" means. Past a limit it rejects with E_BACKPRESSURE carrying `retryAfterMs`, or blocks.
 */
export function writeBehindQueue(options: WriteBehindQueueOptions): WriteBehindQueueHandle {
  const limits: BackpressureLimits = { maxDepth: options.maxDepth ?? 100_000, maxLagMs: options.maxLagMs ?? 60_000 }
  for (const [name, value] of Object.entries({ ...limits, blockTimeoutMs: options.blockTimeoutMs ?? 0, retryAfterMs: options.retryAfterMs ?? 0 })) {
    if (!Number.isFinite(value) || value < 0) {
      throw new StrataError('E_INVALID_OPTION', `write-behind ${name} must be a finite number >= 0, got ${value}`, { context: { option: name } })
    }
  }
  const policy = options.policy ?? 'reject'
  if (policy !== 'reject' && policy !== 'block') {
    throw new StrataError('E_INVALID_OPTION', `write-behind policy must be 'reject' or 'block', got '${String(policy)}'`, { context: { option: 'policy' } })
  }
  const blockTimeoutMs = options.blockTimeoutMs ?? 5_000
  const retryAfterMs = options.retryAfterMs ?? 1_000
  const clock = options.clock ?? Date.now
  const pending = options.pending
  const queueName = options.name ?? 'write-behind'

  return {
    enqueue(write: BufferedWrite): Promise<void> {
      return withBufferAddSpan(queueName, write.namespace, (spanTraceparent) => add(write, options.traceparent?.() ?? spanTraceparent))
    },

    discardTagged(namespace: string, tag: string): Promise<number> {
      return pending.discardTagged(namespace, tag)
    },

    async backpressure(): Promise<BackpressureState> {
      const now = clock()
      const stats = await pending.stats(now)
      const lagMs = stats.oldestAt === undefined ? 0 : Math.max(0, now - stats.oldestAt)
      const reason =
        limits.maxDepth > 0 && stats.depth >= limits.maxDepth ? 'depth' : limits.maxLagMs > 0 && lagMs > limits.maxLagMs ? 'lag' : undefined
      return { overLimit: reason !== undefined, reason, depth: stats.depth, lagMs, retryAfterMs }
    },
  }

  async function add(write: BufferedWrite, traceparent: string | undefined): Promise<void> {
    const entry = traceparent === undefined ? { ...write } : { ...write, traceparent }
    const deadline = policy === 'block' ? clock() + blockTimeoutMs : 0
    let pause = 5
    for (;;) {
      const outcome = await pending.put(entry, limits, clock())
      if (outcome.accepted) return
      if (clock() >= deadline) {
        const limit = outcome.reason === 'depth' ? `${limits.maxDepth} pending keys` : `${limits.maxLagMs} ms of flush lag`
        throw new StrataError(
          'E_BACKPRESSURE',
          `Write-behind is over its limit of ${limit} (depth ${outcome.depth}, lag ${outcome.lagMs} ms); retry in ${retryAfterMs} ms`,
          { context: { namespace: write.namespace, key: write.key, reason: outcome.reason, depth: outcome.depth, lagMs: outcome.lagMs, retryAfterMs } },
        )
      }
      await sleep(Math.min(pause, Math.max(1, deadline - clock())))
      pause = Math.min(pause * 2, 200)
    }
  }
}
