import { defineTopicUse } from '@strata/bus'

/** The Kafka topics alerting produces and consumes (the AsyncAPI document and the topic-contract test read it). */
export const topicUse = defineTopicUse('alerting', {
  produces: {
    alerts: 'every alert state change (pending, firing, resolved), after the state is stored',
    errors: 'webhook deliveries that failed for good, E_WEBHOOK_FAILED (ErrorEventPublisher)',
    audit: 'authenticated actions on its API (postgresServiceAuth with the bus)',
  },
  consumes: {
    errors: 'the strata_error_events_total series: error rules and the default dead-lettered-work rule',
    audit: 'the strata_audit_events_total series: rules on audited actions (a burst of denials, any admin action)',
  },
})
