import { defineTopicUse } from '@strata/bus'

/** The Kafka topics the write-behind flusher produces (the AsyncAPI document and the topic-contract test read it). */
export const topicUse = defineTopicUse('write-behind', {
  produces: {
    errors: 'dead-lettered writes: key and version, never the value (ErrorEventPublisher)',
  },
})
