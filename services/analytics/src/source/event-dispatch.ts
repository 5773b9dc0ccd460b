import { type AccessBatchEvent, type AccessEvent, type ErrorEvent, type EventEnvelope, type InvalidationEvent } from '@strata/bus'
import type { AnalyticsState } from '../aggregation/analytics-state.js'
import { topicUse } from '../topic-use.js'

export interface AnalyticsTopics {
  access: string
  invalidations: string
  errors: string
}

export const DEFAULT_TOPICS: AnalyticsTopics = { access: topicUse.consumed.access, invalidations: topicUse.consumed.invalidations, errors: topicUse.consumed.errors }

export function topicList(topics: AnalyticsTopics): string[] {
  return [topics.access, topics.invalidations, topics.errors]
}

/** Folds one event into the state by the topic it came from; events of other types are ignored. */
export function dispatchEvent(state: AnalyticsState, topics: AnalyticsTopics, topic: string, event: EventEnvelope): void {
  if (topic === topics.access) {
    if (event.type === 'strata.access.batch.v1') state.ingestAccessBatch(event.data as AccessBatchEvent)
    else if (event.type === 'strata.access.v1') state.ingestAccess(event.data as AccessEvent)
  } else if (topic === topics.invalidations) {
    if (event.type === 'strata.invalidation.v1') state.ingestInvalidation(event.data as InvalidationEvent)
  } else if (topic === topics.errors && event.type === 'strata.error.v1') state.ingestError(event.data as ErrorEvent)
}
