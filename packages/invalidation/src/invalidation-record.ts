import { randomUUID } from 'node:crypto'
import type { InvalidationRecordEvent } from '@strata/bus'
import type { InvalidationRequest } from './invalidation-request.js'

/**
 * What one invalidation did — the same record wherever it was carried out (the invalidator from a topic, a gateway
 * from `POST /v1/events`, its manual route, a proxy purge or a subject delete). Published on
 * `strata.invalidations.records.v1`, listed by the gateway's `GET /v1/invalidations`, counted in /metrics.
 */
export type InvalidationRecord = InvalidationRecordEvent

/** The record of `request`, carried out at `at` (latency from the request's cause). */
export function recordOf(request: InvalidationRequest, outcome: { entriesRemoved: number | null; at: number }): InvalidationRecord {
  const list = (values: readonly string[] | undefined) => (values === undefined || values.length === 0 ? undefined : [...values])
  const targets = {
    keys: list(request.keys),
    tags: list(request.tags),
    expireTags: list(request.expireTags),
    prefixes: list(request.prefixes),
    surrogateKeys: list(request.surrogateKeys),
    urls: list(request.urls),
  }
  return {
    id: randomUUID(),
    ...(request.sourceEventId === undefined ? {} : { sourceEventId: request.sourceEventId }),
    ...(request.sourceEventType === undefined ? {} : { sourceEventType: request.sourceEventType }),
    trigger: request.trigger,
    ...(request.rule === undefined ? {} : { rule: request.rule }),
    ...(request.actor === undefined ? {} : { actor: request.actor }),
    namespace: request.namespace ?? null,
    ...(request.upstream === undefined ? {} : { upstream: request.upstream }),
    targets: {
      ...Object.fromEntries(Object.entries(targets).filter(([, values]) => values !== undefined)),
      ...(request.all === true ? { all: true } : {}),
      ...(request.soft === true ? { soft: true } : {}),
    },
    entriesRemoved: outcome.entriesRemoved,
    latencyMs: Math.max(0, outcome.at - request.occurredAt),
    at: outcome.at,
  }
}
