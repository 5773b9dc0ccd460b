import { defineTopicUse } from '@strata/bus'

/** The Kafka topics the gateway produces and consumes (the AsyncAPI document and the topic-contract test read it). */
export const topicUse = defineTopicUse('gateway', {
  produces: {
    invalidations: 'what its KV and admin API deleted or invalidated, so every other instance drops it from L1 (transportInvalidationBus)',
    access: 'sampled KV API accesses, batched (AccessPublisher, with access events on)',
    errors: '5xx answers and engine errors of the KV API (AccessPublisher, with access events on)',
    audit: 'every authenticated administrative action (AuditTrail with the bus, besides the audit log row)',
  },
  consumes: {
    invalidations: 'every instance follows the others in its own broadcast group and drops their keys from its L1',
    invalidationRecords: "the invalidators' records join GET /v1/invalidations (and the console's history), each instance in its own broadcast group",
  },
})
