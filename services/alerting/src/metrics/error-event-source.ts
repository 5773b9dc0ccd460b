import type { ErrorEvent, Transport } from '@strata/bus'
import { EventCounterSource, type EventCounterOptions } from './event-counter-source.js'
import { topicUse } from '../topic-use.js'

/** The counter error rules read: one series per service, code, operation and whether the work was dead-lettered. */
export const ERROR_EVENTS_METRIC = 'strata_error_events_total'

/** Defaults: topic `strata.errors.v1`, group `strata.alerting.errors`; beyond `maxSeries`, service `other`, code `E_OTHER`. */
export type ErrorEventSourceOptions = EventCounterOptions

/**
 * `strata.errors.v1` as a metric source: every error event a service publishes (ErrorEventPublisher) increments
 * `strata_error_events_total{service, code, operation, dead_letter}`, so error rules are ordinary rules (`increase`,
 * `rate`, by code and service) with the same pending/firing/resolved lifecycle, grouping and signed webhooks as rules
 * over scraped metrics.
 */
export class ErrorEventSource extends EventCounterSource {
  constructor(transport: Transport, options: ErrorEventSourceOptions = {}) {
    super(
      transport,
      {
        name: 'errors',
        metric: ERROR_EVENTS_METRIC,
        topic: topicUse.consumed.errors,
        group: 'strata.alerting.errors',
        labelsOf: (event) => {
          if (event.type !== 'strata.error.v1') return undefined
          const error = event.data as ErrorEvent
          return { service: error.service, code: error.code, operation: error.operation ?? '', dead_letter: error.deadLetter === true ? 'true' : 'false' }
        },
        overflow: (labels) => ({ service: 'other', code: 'E_OTHER', operation: '', dead_letter: labels.dead_letter! }),
      },
      options,
    )
  }
}
