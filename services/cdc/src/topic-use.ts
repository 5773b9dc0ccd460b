import { defineTopicUse } from '@strata/bus'

/** The Kafka topic cdc produces (the AsyncAPI document and the topic-contract test read it). */
export const topicUse = defineTopicUse('cdc', {
  produces: {
    tableChanges: 'one event per table per committed transaction, from its replication slot (ChangeCapture)',
  },
})
