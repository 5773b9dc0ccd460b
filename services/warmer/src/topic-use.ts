import { defineTopicUse } from '@strata/bus'

/** The Kafka topics the warmer produces and consumes (the AsyncAPI document and the topic-contract test read it). */
export const topicUse = defineTopicUse('warmer', {
  produces: {
    warming: 'the start and the result of every warming run',
    errors: 'failed warms (ErrorEventPublisher)',
  },
  consumes: {
    hotKeys: "warms each namespace's hot keys as analytics reports them",
  },
})
