import type { Transport } from '@strata/bus'
import { MemoryJobQueue } from '@strata/queue'
import { MemoryAlertStore, PrometheusScrapeSource, buildAlerting, compileRule, expandRule, type Alerting, type DeliveryJob, type MetricSample, type MetricSource } from '@strata/alerting'
import { AuditTrail, MemoryRateLimiter, type AuditLog, type Authenticator } from '@strata/security'

/** The embedded platform's default alert rules: what a first look at the console should be able to show firing. */
export const EMBEDDED_ALERT_RULES = [
  { name: 'hit-ratio-below-half', template: 'hit-ratio-drop', params: { below: 0.5, window: '1m', for: '30s' } },
  { name: 'gateway-errors', template: 'error-rate', params: { above: 0.05, window: '1m', for: '30s' } },
]

export interface EmbeddedAlerting {
  alerting: Alerting
  /** The alerting API's base URL. */
  url: string
  /** Points the metric source at the gateway and allows its origin (CORS), then starts evaluating. */
  start(gatewayUrl: string, scrapeKey: string): Promise<void>
  close(): Promise<void>
}

/**
 * The alerting service in the embedded process: memory alert store and delivery queue, the gateway's ApiKeys (the
 * same admin key works), the gateway's own /metrics and the in-process bus's error events as its sources. It listens before the gateway (whose
 * /console/config.json names it) and learns the gateway's address once that listens.
 */
export async function startEmbeddedAlerting(options: { transport: Transport; authenticator: Authenticator; audit: AuditLog; port: number; host: string; intervalMs?: number }): Promise<EmbeddedAlerting> {
  let gatewayOrigin: string | undefined
  let scrape: PrometheusScrapeSource | undefined
  const gatewayMetrics: MetricSource = {
    name: 'gateway',
    collect: (): Promise<MetricSample[]> => (scrape === undefined ? Promise.resolve([]) : scrape.collect()),
  }
  const deliveries = new MemoryJobQueue<DeliveryJob>('embedded-alert-webhooks')
  const alerting = buildAlerting({
    auth: { authenticator: options.authenticator, rateLimiter: new MemoryRateLimiter(), audit: new AuditTrail(options.audit, { source: 'strata/alerting/embedded' }) },
    corsOrigins: () => (gatewayOrigin === undefined ? [] : [gatewayOrigin]),
    sources: [gatewayMetrics],
    // The in-process bus's strata.errors.v1 (the gateway's errors): error rules and the default dead-letter rule.
    errorEvents: { transport: options.transport },
    transport: options.transport,
    store: new MemoryAlertStore(),
    rules: EMBEDDED_ALERT_RULES.map((rule) => compileRule(expandRule(rule), 'embedded')),
    receivers: [],
    deliveries,
    intervalMs: options.intervalMs ?? 5_000,
    instanceId: 'embedded',
  })
  const url = await alerting.http.listen({ port: options.port, host: options.host })
  return {
    alerting,
    url,
    start: async (gatewayUrl, scrapeKey) => {
      gatewayOrigin = new URL(gatewayUrl).origin
      scrape = new PrometheusScrapeSource({ url: `${gatewayUrl}/metrics`, bearer: scrapeKey })
      await alerting.start()
    },
    close: async () => {
      await alerting.stop()
      await deliveries.close()
    },
  }
}
