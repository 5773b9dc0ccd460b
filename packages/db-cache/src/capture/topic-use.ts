import { defineTopicUse } from '@strata/bus'

/**
 * The Kafka topic @strata/db-cache's change capture writes and its followers read, wherever they run (the cdc
 * service runs ChangeCapture; any process with a DbCache can follow). The AsyncAPI document and the topic-contract
 * test read it.
 */
export const topicUse = defineTopicUse('@strata/db-cache', {
  produces: {
    tableChanges: 'ChangeCapture: one event per table per committed transaction, from a logical replication slot',
  },
  consumes: {
    tableChanges: "followTableChanges: drops the cached query results that read the changed table (each follower in its own broadcast group)",
  },
})
