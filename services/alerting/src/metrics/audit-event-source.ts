import type { AuditEvent, Transport } from '@strata/bus'
import { EventCounterSource, type EventCounterOptions } from './event-counter-source.js'
import { topicUse } from '../topic-use.js'

/** The counter audit rules read: one series per service, action and outcome. */
export const AUDIT_EVENTS_METRIC = 'strata_audit_events_total'

/** Defaults: topic `strata.audit.v1`, group `strata.alerting.audit`; beyond `maxSeries`, service and action `other`. */
export type AuditEventSourceOptions = EventCounterOptions

/** `strata/gateway/<instance>` → `gateway`: the service, without the instance (which would make a series per pod). */
function serviceOf(source: string): string {
  const [first, second] = source.split('/')
  return (first === 'strata' ? second : first) || 'unknown'
}

/**
 * `strata.audit.v1` as a metric source: every audited action a service publishes (AuditTrail with a bus) increments
 * `strata_audit_events_total{service, action, outcome}`, so security rules are ordinary rules — a burst of denied
 * sign-ins (a leaked or guessed key, a misconfigured client), an admin action at all (template `audit-events`). The
 * chain in PostgreSQL stays the record; this only counts. Counts live in memory: after a restart they start from
 * zero, which the engine reads as a counter reset.
 */
export class AuditEventSource extends EventCounterSource {
  constructor(transport: Transport, options: AuditEventSourceOptions = {}) {
    super(
      transport,
      {
        name: 'audit',
        metric: AUDIT_EVENTS_METRIC,
        topic: topicUse.consumed.audit,
        group: 'strata.alerting.audit',
        labelsOf: (event) => {
          if (event.type !== 'strata.audit.v1') return undefined
          const audit = event.data as AuditEvent
          return { service: serviceOf(event.source), action: audit.action, outcome: audit.outcome }
        },
        overflow: (labels) => ({ service: 'other', action: 'other', outcome: labels.outcome! }),
      },
      options,
    )
  }
}
