import { defineTopicUse } from '@strata/bus'

/** The Kafka topics analytics produces and consumes (the AsyncAPI document and the topic-contract test read it). */
export const topicUse = defineTopicUse('analytics', {
  produces: {
    hotKeys: "each namespace's most requested keys, every STRATA_ANALYTICS_HOT_KEYS_MS (for the warmer)",
  },
  consumes: {
    access: 'hit ratio, latency, hot keys and top namespaces',
    invalidations: 'invalidations per namespace and kind',
    errors: 'errors per service and code',
    alerts: "the report's timeline: each alert's state changes, beside the series they explain",
    warming: "the report's timeline: each finished warm run (loaded, cached, failed), beside the hit ratio it should lift",
  },
})
