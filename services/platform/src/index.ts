export { startEmbedded, DEMO_RULES, type Embedded, type EmbeddedOptions } from './embedded.js'
export { EMBEDDED_ALERT_RULES, type EmbeddedAlerting } from './embedded-alerting.js'
export type { EmbeddedAnalytics } from './embedded-analytics.js'
