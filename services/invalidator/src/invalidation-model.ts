import type { InvalidationRecordEvent } from '@strata/bus'

/** What to invalidate in one namespace: from a rule and a domain event, a manual request, or a schedule. */
export interface InvalidationRequest {
  namespace: string
  keys?: string[]
  tags?: string[]
  prefixes?: string[]
  /** The whole namespace. */
  all?: boolean
  trigger: 'event' | 'manual' | 'schedule'
  /** The rule or schedule that produced it. */
  rule?: string
  sourceEventId?: string
  sourceEventType?: string
  /** When the cause happened (the domain event's `time`), epoch ms; latency is measured from it. */
  occurredAt: number
}

/** What one invalidation did; published on `strata.invalidations.records.v1` and counted in /metrics. */
export type InvalidationRecord = InvalidationRecordEvent
