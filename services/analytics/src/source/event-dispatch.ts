import { type AccessBatchEvent, type AccessEvent, type AlertEvent, type ErrorEvent, type EventEnvelope, type InvalidationEvent, type WarmEvent } from '@strata/bus'
import type { AnalyticsState } from '../aggregation/analytics-state.js'
import { topicUse } from '../topic-use.js'

export interface AnalyticsTopics {
  access: string
  invalidations: string
  errors: string
  /** Alert state changes, for the report's timeline. */
  alerts: string
  /** Warming runs, for the report's timeline. */
  warming: string
}

export const DEFAULT_TOPICS: AnalyticsTopics = {
  access: topicUse.consumed.access,
  invalidations: topicUse.consumed.invalidations,
  errors: topicUse.consumed.errors,
  alerts: topicUse.consumed.alerts,
  warming: topicUse.consumed.warming,
}

export function topicList(topics: AnalyticsTopics): string[] {
  return [topics.access, topics.invalidations, topics.errors, topics.alerts, topics.warming]
}

/** Folds one event into the state by the topic it came from; events of other types are ignored. */
export function dispatchEvent(state: AnalyticsState, topics: AnalyticsTopics, topic: string, event: EventEnvelope): void {
  if (topic === topics.access) {
    if (event.type === 'strata.access.batch.v1') state.ingestAccessBatch(event.data as AccessBatchEvent)
    else if (event.type === 'strata.access.v1') state.ingestAccess(event.data as AccessEvent)
  } else if (topic === topics.invalidations) {
    if (event.type === 'strata.invalidation.v1') state.ingestInvalidation(event.data as InvalidationEvent)
  } else if (topic === topics.errors && event.type === 'strata.error.v1') state.ingestError(event.data as ErrorEvent)
  else if (topic === topics.alerts && event.type === 'strata.alert.v1') state.ingestAlert(event.data as AlertEvent)
  else if (topic === topics.warming && event.type === 'strata.warm.v1') state.ingestWarm(event.data as WarmEvent)
}
