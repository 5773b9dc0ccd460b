import type { ServerOptions as HttpsServerOptions } from 'node:https'
import type { IncomingMessage } from 'node:http'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { createServiceShell, type CheckResult, type FanoutErrorCounts, type HealthCheck, type ServiceLimits } from '@strata/service'
import type { AuditTrail, Authenticator, AuthRequirement, RateLimiter, RateLimitSpec } from '@strata/security'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { CacheHook, StrataCache } from '@strata/core'
import type { RuleSet } from '@strata/invalidation'
import type { Transport } from '@strata/bus'
import { consoleSecurityHeaders, securityHeaders } from './http/security-headers.js'
import { DEFAULT_CONSOLE_DIST, GATEWAY_VERSION, serviceOrigins, type ConsoleServices } from './console/console-config.js'
import type { NamespaceRegistry } from './namespaces/namespace-registry.js'
import type { AccessPublisher } from './access/access-publisher.js'
import type { AccessSampling } from './access/access-sampling.js'
import { accessEventsPlugin } from './plugins/access-events.js'
import { adminRoutes } from './plugins/admin-routes.js'
import { cacheHooksPlugin } from './plugins/cache-hooks.js'
import { consoleRoutes } from './plugins/console-routes.js'
import { eventRoutes } from './plugins/event-routes.js'
import { invalidationRoutes } from './plugins/invalidation-routes.js'
import { kvRoutes } from './plugins/kv-routes.js'
import { metricsPlugin } from './plugins/metrics.js'
import { openApiPlugin } from './plugins/openapi.js'
import { proxyRoutes } from './plugins/proxy-routes.js'
import { purgeRoutes } from './plugins/purge-routes.js'
import { keyRoutes } from './plugins/key-routes.js'
import { subjectRoutes } from './plugins/subject-routes.js'
import { statsRoutes } from './plugins/stats-routes.js'
import { entryRoutes } from './plugins/entry-routes.js'
import { historyRoutes } from './plugins/history-routes.js'
import { InvalidationHistory } from './history/invalidation-history.js'
import { followInvalidationRecords } from './history/invalidation-records-follower.js'
import { gatewayExecutor } from './invalidation/gateway-executor.js'
import { GatewayStats } from './stats/gateway-stats.js'
import { ProxyService, type UpstreamConfig } from './proxy/proxy-service.js'
import { NamespaceSpecSchema } from './namespaces/namespace-spec.js'

const NO_RULES: RuleSet = { file: '<none>', rules: [], schedules: [], namespaces: {}, topics: [] }

/** Body, header, path and JSON-depth limits and request timeouts (the service shell's; defaults there). */
export type GatewayLimits = ServiceLimits

/** Authentication, authorisation, rate limits and audit (packages/security). */
export interface GatewayAuth {
  authenticator: Authenticator
  /** Per-key rate limits; a RedisRateLimiter holds them across instances. None: unlimited. */
  rateLimiter?: RateLimiter | undefined
  /** For keys that carry no limit of their own. Default 50/s, burst 100. */
  defaultRateLimit?: RateLimitSpec | undefined
  /** Admin actions, writes, invalidations and sign-in failures are recorded here. */
  audit?: AuditTrail | undefined
}

/** Everything the gateway needs, built by main.ts / embedded.ts (real adapters) or by tests. */
export interface GatewayDeps {
  cache: StrataCache
  registry: NamespaceRegistry
  /** The L1 capacity the cache was built with, shown on /metrics. */
  l1Bounds?: { maxEntries: number; maxBytes?: number | undefined } | undefined
  /** The fast invalidation fanout's failure report (main.ts: a FanoutErrorReport), shown on /metrics. */
  fanoutErrors?: FanoutErrorCounts | undefined
  /** Proxy upstreams by name, served under /proxy/{name}/... */
  upstreams?: Record<string, UpstreamConfig>
  /** Domain event → invalidation rules for POST /v1/events (the embedded stand-in for the invalidator): `parseRules`. */
  eventRules?: RuleSet
  /** Extra readiness checks (bus, queue), by name. */
  checks?: Record<string, HealthCheck>
  clock?: () => number
  /** A pino-compatible logger; false (the default for tests) logs nothing. */
  logger?: FastifyBaseLogger | false
  limits?: GatewayLimits
  /** Serve OpenAPI at /docs. Default true. */
  docs?: boolean
  /** Default Node process metrics in /metrics. Default true. */
  processMetrics?: boolean
  /**
   * Cache hooks (before get, after load, before set, on evict, on invalidate, on error) registered on the cache for
   * the gateway's lifetime; a failing hook never fails a request (it shows in /metrics and the log).
   */
  hooks?: readonly CacheHook[]
  /**
   * Every route but health and docs then needs a credential with the scope it declares (`config.auth`). Without it
   * the gateway is open (tests of other concerns, trusted sidecar setups); main.ts turns it on by default.
   */
  auth?: GatewayAuth
  /** Serve HTTPS with these TLS options (key, cert, ca, minVersion...). */
  https?: HttpsServerOptions
  /** Security headers (helmet) on API answers. Default true. */
  securityHeaders?: boolean
  /**
   * The web console at /console/ (services/console/dist by default) and what /console/config.json tells it: the mode
   * and the URLs of the other services it may call (also allowed by the console's CSP connect-src).
   */
  console?: GatewayConsole
  /** How many invalidations GET /v1/invalidations keeps (a ring per instance). Default 1000. */
  historySize?: number
  /**
   * Follow the invalidators' InvalidationRecords (`strata.invalidations.records.v1`) into GET /v1/invalidations, so
   * the history (and the console's page over it) shows what rules, schedules and the invalidator's API invalidated,
   * not only this instance's own. Read in a broadcast group of this instance, from when it starts. Off: own only.
   */
  invalidationRecords?: { transport: Transport; instanceId: string; topic?: string }
  /** This process is worker `slot` of a multi-worker gateway: answers say so in `x-strata-worker: <slot>`. */
  worker?: { slot: number }
  /** Sampled `strata.access.v1` accesses for analytics; the publisher is closed with the app. */
  accessEvents?: { publisher: AccessPublisher; sampling: AccessSampling }
}

export interface GatewayConsole {
  /** The built SPA. Default: services/console/dist of this repository. */
  distDir?: string
  /** Default 'gateway'; embedded.ts says 'embedded'. */
  mode?: 'embedded' | 'gateway'
  services?: ConsoleServices
}

/**
 * A route as Fastify registered it: what the OpenAPI document must describe (the coverage test) and the requirement
 * it declares (the auth matrix test).
 */
export interface GatewayRoute {
  method: string
  url: string
  /** Left out of the OpenAPI document on purpose (the Swagger UI's own routes). */
  hidden: boolean
  auth: AuthRequirement | undefined
}

export interface Gateway {
  app: FastifyInstance
  proxy: ProxyService
  /** Every route of the app, from Fastify's onRoute hook. */
  routes: readonly GatewayRoute[]
  /** Fails readiness from now on (first step of a graceful shutdown). */
  drain(): void
  /** Stops accepting, lets in-flight requests finish, closes origin pools. The cache is the caller's to close. */
  close(): Promise<void>
}

/**
 * Builds the gateway's Fastify app from its dependencies, on the service shell (@strata/service: errors, 404/405,
 * security headers, auth, health, /metrics, timeouts, shutdown). Each gateway concern is an encapsulated plugin that
 * receives what it needs as options. With `auth`, every route declares what it needs in `config.auth`, and the auth
 * plugin's onRequest hook checks it before the route's own plugin sees the request.
 */
export async function buildGateway(deps: GatewayDeps): Promise<Gateway> {
  const clock = deps.clock ?? Date.now
  const proxy = new ProxyService(deps.cache, deps.upstreams ?? {}, clock)
  const routes: GatewayRoute[] = []
  const shell = createServiceShell({
    name: 'gateway',
    logger: deps.logger,
    ...(deps.limits === undefined ? {} : { limits: deps.limits }),
    https: deps.https,
    securityHeaders: deps.securityHeaders !== false,
    // API answers get the shell's API set; Swagger UI's pages helmet's defaults (a same-origin CSP for its files); the console its own.
    headerSets: { page: securityHeaders(), console: consoleSecurityHeaders(serviceOrigins(deps.console?.services ?? {})) },
    auth:
      deps.auth === undefined
        ? undefined
        : {
            authenticator: deps.auth.authenticator,
            rateLimiter: deps.auth.rateLimiter,
            ...(deps.auth.defaultRateLimit === undefined ? {} : { defaultRateLimit: deps.auth.defaultRateLimit }),
            audit: deps.auth.audit,
          },
    checks: { l2: () => l2Check(deps.cache), ...deps.checks },
    processMetrics: deps.processMetrics ?? true,
    ...(deps.docs === false ? {} : { documentation: openApiPlugin }),
    coerceTypes: false,
    // An upstream fronted for a Host (upstreams.<name>.hosts) gets every path of it, before routing. Hosts are fixed
    // at start, so a gateway fronting none does not pay a rewrite call per request.
    ...(proxy.frontsHosts ? { rewriteUrl: (request: IncomingMessage) => proxy.rewriteForHost(request.headers.host, request.url ?? '/') } : {}),
  })
  const app = shell.app.withTypeProvider<TypeBoxTypeProvider>()
  app.addHook('onRoute', (route) => {
    // Swagger UI's own routes (static files, the JSON document) are public: the API description is not a secret.
    // Its HTML also gets helmet's page headers (a same-origin CSP for its scripts) instead of the API set.
    if (route.url.startsWith('/docs') && route.config?.auth === undefined) route.config = { ...route.config, auth: 'public', securityHeaders: 'page' }
    const hidden = route.schema?.hide === true
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, hidden, auth: route.config?.auth })
  })
  if (deps.docs === false) app.addSchema(NamespaceSpecSchema)
  if (deps.worker !== undefined) {
    // Which worker answered: operators tell the workers' logs and /v1/stats apart by it (each worker has its own).
    // The slot only: a pid would tell every client something about the host.
    const answeredBy = String(deps.worker.slot)
    app.addHook('onRequest', (_request, reply, done) => {
      void reply.header('x-strata-worker', answeredBy)
      done()
    })
  }

  if (deps.hooks !== undefined && deps.hooks.length > 0) await app.register(cacheHooksPlugin, { cache: deps.cache, hooks: deps.hooks })
  await app.register(metricsPlugin, { cache: deps.cache, registry: shell.registry, l1Bounds: deps.l1Bounds, fanoutErrors: deps.fanoutErrors })
  if (deps.accessEvents !== undefined) await app.register(accessEventsPlugin, { cache: deps.cache, ...deps.accessEvents })
  // Namespaces that do not exist are not tracked: a caller could otherwise grow the table with made-up names.
  const stats = new GatewayStats((name) => deps.registry.get(name) !== undefined)
  await app.register(kvRoutes, { registry: deps.registry, clock, stats })
  await app.register(statsRoutes, { cache: deps.cache, registry: deps.registry, stats, upstreams: proxy.upstreams })
  await app.register(entryRoutes, { registry: deps.registry, clock })
  const history = new InvalidationHistory(deps.historySize ?? 1_000)
  const records = deps.invalidationRecords === undefined ? undefined : await followInvalidationRecords(history, deps.invalidationRecords)
  const executor = gatewayExecutor(deps.cache, deps.registry, proxy, clock)
  await app.register(invalidationRoutes, { registry: deps.registry, history, executor, clock })
  await app.register(historyRoutes, { history })
  await app.register(adminRoutes, { registry: deps.registry })
  await app.register(purgeRoutes, { proxy, history, executor })
  await app.register(eventRoutes, { rules: deps.eventRules ?? NO_RULES, history, executor })
  await app.register(subjectRoutes, { registry: deps.registry, proxy, audit: deps.auth?.audit, history })
  if (deps.auth !== undefined) await app.register(keyRoutes, { apiKeys: deps.auth.authenticator.apiKeys, audit: deps.auth.audit?.log })
  await app.register(consoleRoutes, {
    distDir: deps.console?.distDir ?? DEFAULT_CONSOLE_DIST,
    config: { mode: deps.console?.mode ?? 'gateway', version: GATEWAY_VERSION, services: deps.console?.services ?? {} },
  })
  await app.register(proxyRoutes, { proxy, traffic: stats.proxy })

  return {
    app: shell.app,
    proxy,
    routes,
    drain: () => shell.drain(),
    close: async () => {
      await records?.close()
      await shell.close()
      await proxy.close()
    },
  }
}

/** Readiness of L2, named after the store (`l2:redis`); no check at all for an L1-only cache. */
async function l2Check(cache: StrataCache): Promise<CheckResult> {
  const { l2 } = await cache.health()
  if (l2 === undefined) return { up: true, name: 'l2:none' }
  return { name: `l2:${l2.name}`, up: l2.reachable, detail: l2.reachable ? `circuit ${l2.circuit}` : `unreachable; circuit ${l2.circuit}` }
}
