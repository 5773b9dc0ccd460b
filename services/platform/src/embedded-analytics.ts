import { MemoryRollupStore, buildAnalytics, type Analytics } from '@strata/analytics'
import type { Transport } from '@strata/bus'
import { AuditTrail, MemoryRateLimiter, type AuditLog, type Authenticator } from '@strata/security'

export interface EmbeddedAnalytics {
  analytics: Analytics
  /** The analytics API's base URL (reports, hot keys, the optimization report). */
  url: string
  /** Allows the gateway's origin (CORS), for the console. */
  allowOrigin(gatewayUrl: string): void
  close(): Promise<void>
}

/**
 * The analytics service in the embedded process: it consumes the access, invalidation and error events the gateway
 * publishes on the in-process transport, keeps its rollups in memory (gone with the process) and answers with the
 * gateway's API keys. The same service as `services/analytics`, with the memory store and transport source.
 */
export async function startEmbeddedAnalytics(options: {
  transport: Transport
  authenticator: Authenticator
  audit: AuditLog
  port: number
  host: string
  flushIntervalMs?: number
}): Promise<EmbeddedAnalytics> {
  let gatewayOrigin: string | undefined
  const analytics = buildAnalytics({
    store: new MemoryRollupStore(),
    transport: { transport: options.transport, group: 'strata.analytics' },
    auth: { authenticator: options.authenticator, rateLimiter: new MemoryRateLimiter(), audit: new AuditTrail(options.audit, { source: 'strata/analytics/embedded' }) },
    corsOrigins: () => (gatewayOrigin === undefined ? [] : [gatewayOrigin]),
    flushIntervalMs: options.flushIntervalMs ?? 1_000,
  })
  await analytics.start()
  const url = await analytics.http.listen({ port: options.port, host: options.host })
  return {
    analytics,
    url,
    allowOrigin: (gatewayUrl) => {
      gatewayOrigin = new URL(gatewayUrl).origin
    },
    close: () => analytics.stop(),
  }
}
