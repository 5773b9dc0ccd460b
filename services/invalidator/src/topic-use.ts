import { defineTopicUse } from '@strata/bus'

/**
 * The Kafka topics the invalidator produces and consumes. The domain topics its rules name are the user's (the
 * AsyncAPI document's `domainEvents` channel), not Strata's.
 */
export const topicUse = defineTopicUse('invalidator', {
  produces: {
    invalidations: 'the invalidations its rules, schedules and API carried out, for every L1 (transportInvalidationBus)',
    invalidationRecords: 'one record per invalidation it carried out, in the background',
    errors: 'failed scheduled purges and dead-lettered domain events (ErrorEventPublisher)',
    audit: 'authenticated actions on its API (postgresServiceAuth with the bus)',
  },
})
