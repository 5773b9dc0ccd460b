import { randomUUID } from 'node:crypto'
import { StrataError, type InvalidationBus, type InvalidationMessage, type StrataCache } from '@strata/core'
import type { InvalidationRecord, InvalidationRequest } from './invalidation-model.js'

/**
 * Carries out an InvalidationRequest: the L2 delete once, through the engine (keys, tags by tag records, prefixes by
 * a prefix scan, or the whole namespace), then one message per kind on `strata.invalidations.v1` so every cache
 * instance drops its L1 copies. The engine's cache here has no L1 and no bus of its own: publishing is done here and
 * awaited, so a failed publish fails the request (and the event is retried) instead of being only reported.
 */
export class InvalidationExecutor {
  constructor(
    private readonly cache: StrataCache,
    private readonly publisher: InvalidationBus,
    private readonly origin: string,
    private readonly clock: () => number,
  ) {}

  async apply(request: InvalidationRequest): Promise<InvalidationRecord> {
    const namespace = this.cache.namespace(request.namespace)
    const messages: Omit<InvalidationMessage, 'at'>[] = []
    // Entries removed from L2, counted just before each delete (a concurrent fill may make it off by that fill, never
    // by more). Unknown (null) for tags, which invalidate lazily through tag records, and for a whole namespace.
    let removed: number | null = 0
    const count = (found: number | undefined) => {
      removed = removed === null || found === undefined ? null : removed + found
    }
    if (request.all === true) {
      removed = null
      await namespace.clear()
      messages.push({ origin: this.origin, namespace: request.namespace, kind: 'clear' })
    } else {
      if (request.keys !== undefined && request.keys.length > 0) {
        count(await namespace.countInL2({ keys: request.keys }))
        await namespace.deleteMany(request.keys)
        messages.push({ origin: this.origin, namespace: request.namespace, kind: 'keys', keys: request.keys })
      }
      if (request.tags !== undefined && request.tags.length > 0) {
        removed = null
        await namespace.deleteByTag(request.tags)
        messages.push({ origin: this.origin, namespace: request.namespace, kind: 'delete-tags', tags: request.tags })
      }
      for (const prefix of request.prefixes ?? []) {
        count(await namespace.countInL2({ prefix }))
        await namespace.deleteByPrefix(prefix)
        messages.push({ origin: this.origin, namespace: request.namespace, kind: 'prefix', prefix })
      }
    }
    const entriesRemoved: number | null = removed
    // The engine keeps deletes it could not apply in memory for replay; an event must not count as applied on that
    // (a crash would lose them), so it fails as transient and Kafka keeps it until L2 takes the deletes.
    if (this.cache.pendingL2Invalidations > 0) {
      throw new StrataError('E_L2_UNAVAILABLE', `L2 did not take the invalidation of namespace '${request.namespace}'; it will be retried`, {
        context: { namespace: request.namespace, pending: this.cache.pendingL2Invalidations },
      })
    }
    const at = this.clock()
    await Promise.all(messages.map((message) => this.publisher.publish({ ...message, at })))
    const done = this.clock()
    return {
      id: randomUUID(),
      ...(request.sourceEventId === undefined ? {} : { sourceEventId: request.sourceEventId }),
      ...(request.sourceEventType === undefined ? {} : { sourceEventType: request.sourceEventType }),
      trigger: request.trigger,
      ...(request.rule === undefined ? {} : { rule: request.rule }),
      namespace: request.namespace,
      targets: {
        ...(request.keys === undefined ? {} : { keys: request.keys }),
        ...(request.tags === undefined ? {} : { tags: request.tags }),
        ...(request.prefixes === undefined ? {} : { prefixes: request.prefixes }),
        ...(request.all === true ? { all: true } : {}),
      },
      entriesRemoved,
      latencyMs: Math.max(0, done - request.occurredAt),
      at: done,
    }
  }
}
