import { MemoryTransport, TransportInvalidationBus } from '@strata/bus'
import { createCache, memoryStore, type StrataCache } from '@strata/core'
import { ApiKeys, AuditTrail, Authenticator, MemoryApiKeyStore, MemoryAuditLog, MemoryRateLimiter } from '@strata/security'
import { AccessPublisher, AccessSampling, InProcessWriteBehindQueue, NamespaceRegistry, buildGateway, type Gateway } from '@strata/gateway'
import { buildDemoOrigin } from './demo-origin.js'
import { startEmbeddedAlerting, type EmbeddedAlerting } from './embedded-alerting.js'
import { startEmbeddedAnalytics, type EmbeddedAnalytics } from './embedded-analytics.js'
import { parseRules } from '@strata/invalidation'

export interface EmbeddedOptions {
  /** Gateway port; 0 for an ephemeral one. Default 8080 (PORT). */
  port?: number
  /** Demo origin port; 0 for an ephemeral one. Default 4001 (STRATA_DEMO_ORIGIN_PORT). */
  originPort?: number
  /** The in-process alerting service's port; 0 for an ephemeral one. Default 8095 (STRATA_ALERTING_PORT). */
  alertingPort?: number
  /** How often alerting reads the gateway's /metrics and evaluates its rules. Default 5 s. */
  alertingIntervalMs?: number
  /** The in-process analytics service's port; 0 for an ephemeral one. Default 8094 (STRATA_ANALYTICS_PORT). */
  analyticsPort?: number
  /** How often analytics folds the events it consumed into its rollups (what reports read). Default 1 s. */
  analyticsFlushMs?: number
  /** The built console the gateway serves at /console/. Default services/console/dist. */
  consoleDistDir?: string
  host?: string
}

export interface Embedded {
  gateway: Gateway
  cache: StrataCache
  urls: { gateway: string; console: string; alerting: string; analytics: string; docs: string; metrics: string; origin: string; proxyExample: string; kvExample: string }
  /** The alerting service running in this process (memory store and queue, the gateway's API keys). */
  alerting: EmbeddedAlerting
  /** The analytics service running in this process (memory rollups, fed by the gateway's access events). */
  analytics: EmbeddedAnalytics
  originHits: () => number
  /** The admin API key made at start (`sk_...`): printed once, sent as `Authorization: Bearer` or `x-api-key`. */
  adminKey: string
  audit: MemoryAuditLog
  close(): Promise<void>
}

/**
 * The demo's invalidation rules, in the invalidator's dialect: a `product.updated` event drops the product from the
 * KV namespace and, by surrogate key, from the proxy.
 */
export const DEMO_RULES = parseRules(
  `version: 1
rules:
  - name: product-changed
    topic: shop.catalog.v1
    type: product.updated
    namespace: products
    keys: ['{data.id}']
  - name: product-page-changed
    topic: shop.catalog.v1
    type: product.updated
    upstream: demo
    surrogateKeys: ['product-{data.id}']
`,
  'embedded demo rules',
)

/** Messages the in-process transport keeps per partition (3 partitions per topic). */
const EMBEDDED_LOG_RETAINED = 20_000

/** The L1 capacity of the embedded gateway (the analytics service sizes its miss-ratio curves against it). */
const EMBEDDED_L1_ENTRIES = 10_000
/** Memory the embedded L1 may hold whatever the value sizes (issue 22: entry counts alone let one writer fill the heap). */
const EMBEDDED_L1_BYTES = 128 * 1024 * 1024

/**
 * The whole platform in one process on the embedded default: in-process L2 (memoryStore), in-process bus and
 * write-behind queue, the gateway, alerting and analytics, and a demo origin. No Redis, Kafka or anything else needs
 * to run. The in-process transport carries what Kafka carries in production: invalidations and every access (sampled
 * at rate 1: a laptop's traffic is small), which the analytics service turns into reports.
 */
export async function startEmbedded(options: EmbeddedOptions = {}): Promise<Embedded> {
  const host = options.host ?? '127.0.0.1'
  const demo = buildDemoOrigin()
  const originAddress = await demo.app.listen({ port: options.originPort ?? 4001, host })

  // The queue flushes through the registry, which needs the cache, which needs the queue: bind the flush late.
  const late: { registry?: NamespaceRegistry } = {}
  const queue = new InProcessWriteBehindQueue((writes) => late.registry!.flush(writes))
  // A long-running `pnpm start` keeps only the newest messages of each partition: invalidation heartbeats and every
  // access (sampled at rate 1) would otherwise grow the log for as long as the process lives. Its consumers (the
  // gateway's bus, analytics, alerting) read within milliseconds; one left this far behind skips to the oldest kept.
  const transport = new MemoryTransport({ retainPerPartition: EMBEDDED_LOG_RETAINED })
  const cache = createCache({ l1: { maxEntries: EMBEDDED_L1_ENTRIES, maxBytes: EMBEDDED_L1_BYTES }, l2: memoryStore(), bus: new TransportInvalidationBus(transport, { instanceId: 'embedded' }), queue })
  const registry = (late.registry = new NamespaceRegistry(cache))
  await registry.start({
    products: { ttl: 60_000, grace: 300_000, origin: { url: `${originAddress}/products/{key}` } },
    sessions: { ttl: 1_800_000 },
  })
  // Auth is on here too, as in production: an admin key is made at start and printed (keys live in memory).
  const apiKeys = new ApiKeys(new MemoryApiKeyStore())
  const { token: adminKey } = await apiKeys.create({ name: 'embedded admin', grants: [{ namespace: '*', scopes: ['admin'] }] })
  const audit = new MemoryAuditLog()
  const authenticator = new Authenticator(apiKeys)
  // Alerting listens first: the gateway's /console/config.json and CSP name its URL.
  const alerting = await startEmbeddedAlerting({ transport, authenticator, audit, port: options.alertingPort ?? 8095, host, intervalMs: options.alertingIntervalMs ?? 5_000 })
  const analytics = await startEmbeddedAnalytics({ transport, authenticator, audit, port: options.analyticsPort ?? 8094, host, ...(options.analyticsFlushMs === undefined ? {} : { flushIntervalMs: options.analyticsFlushMs }) })
  const accessEvents = {
    sampling: new AccessSampling({ defaultSampleRate: 1 }),
    publisher: new AccessPublisher(transport, { instance: 'embedded', l1MaxEntries: EMBEDDED_L1_ENTRIES }),
  }
  const gateway = await buildGateway({
    cache,
    registry,
    l1Bounds: { maxEntries: EMBEDDED_L1_ENTRIES, maxBytes: EMBEDDED_L1_BYTES },
    upstreams: { demo: { url: originAddress } },
    eventRules: DEMO_RULES,
    accessEvents,
    auth: { authenticator, rateLimiter: new MemoryRateLimiter(), audit: new AuditTrail(audit, { source: 'strata/gateway/embedded' }) },
    console: { mode: 'embedded', services: { alerting: alerting.url, analytics: analytics.url }, ...(options.consoleDistDir === undefined ? {} : { distDir: options.consoleDistDir }) },
  })
  const address = await gateway.app.listen({ port: options.port ?? 8080, host })
  await alerting.start(address, adminKey)
  analytics.allowOrigin(address)
  return {
    gateway,
    cache,
    originHits: demo.hits,
    adminKey,
    audit,
    alerting,
    analytics,
    urls: {
      gateway: address,
      console: `${address}/console/`,
      alerting: alerting.url,
      analytics: analytics.url,
      docs: `${address}/docs`,
      metrics: `${address}/metrics`,
      origin: originAddress,
      proxyExample: `${address}/proxy/demo/products/42`,
      kvExample: `${address}/v1/namespaces/products/keys/42`,
    },
    close: async () => {
      await alerting.close()
      // The gateway first: closing it publishes the last accesses, which analytics then folds in before it stops.
      await gateway.close()
      await analytics.close()
      await queue.close()
      registry.close()
      await cache.close()
      await transport.close()
      await demo.app.close()
    },
  }
}
