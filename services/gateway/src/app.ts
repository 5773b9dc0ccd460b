import type { ServerOptions as HttpsServerOptions } from 'node:https'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { authPlugin, type AuditTrail, type Authenticator, type AuthRequirement, type RateLimiter, type RateLimitSpec } from '@strata/security'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { CacheHook, StrataCache } from '@strata/core'
import type { RuleSet } from '@strata/invalidation'
import { API_SECURITY_HEADERS, consoleSecurityHeaders, securityHeaders } from './http/security-headers.js'
import { DEFAULT_CONSOLE_DIST, GATEWAY_VERSION, serviceOrigins, type ConsoleServices } from './console/console-config.js'
import { PROBLEM_CONTENT_TYPE, problem } from '@strata/core'
import type { NamespaceRegistry } from './namespaces/namespace-registry.js'
import type { AccessPublisher } from './access/access-publisher.js'
import type { AccessSampling } from './access/access-sampling.js'
import { accessEventsPlugin } from './plugins/access-events.js'
import { adminRoutes } from './plugins/admin-routes.js'
import { cacheHooksPlugin } from './plugins/cache-hooks.js'
import { consoleRoutes } from './plugins/console-routes.js'
import { errorHandlerPlugin } from './plugins/error-handler.js'
import { eventRoutes } from './plugins/event-routes.js'
import { healthRoutes } from './plugins/health-routes.js'
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
import { gatewayExecutor } from './invalidation/gateway-executor.js'
import { GatewayStats } from './stats/gateway-stats.js'
import { ProxyService, type UpstreamConfig } from './proxy/proxy-service.js'

const NO_RULES: RuleSet = { file: '<none>', rules: [], schedules: [], namespaces: {}, topics: [] }

export interface GatewayLimits {
  /** Largest request body, bytes (Fastify bodyLimit). Default 2 MiB. */
  bodyLimit?: number
  /** Largest request header block, bytes (Node's maxHeaderSize). Default 16 KiB. */
  maxHeaderSize?: number
  /** Longest URL path parameter (a key), characters; namespaces' maxKeyLength applies within it. Default 8192. */
  maxParamLength?: number
}

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
  /** Proxy upstreams by name, served under /proxy/{name}/... */
  upstreams?: Record<string, UpstreamConfig>
  /** Domain event → invalidation rules for POST /v1/events (the embedded stand-in for the invalidator): `parseRules`. */
  eventRules?: RuleSet
  /** Extra readiness checks (bus, queue). */
  checks?: Record<string, () => Promise<boolean>>
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
  /** More Prometheus text appended to /metrics (the OpenTelemetry meter's, from @strata/telemetry). */
  extraMetrics?: () => Promise<string>
  /**
   * The web console at /console/ (services/console/dist by default) and what /console/config.json tells it: the mode
   * and the URLs of the other services it may call (also allowed by the console's CSP connect-src).
   */
  console?: GatewayConsole
  /** How many invalidations GET /v1/invalidations keeps (a ring per instance). Default 1000. */
  historySize?: number
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
 * Builds the gateway's Fastify app from its dependencies. Each concern is an encapsulated plugin that receives what
 * it needs as options; cross-cutting ones (errors, metrics, OpenAPI) are registered first and apply to all routes.
 * Authentication (packages/security) is one more of them when `auth` is given: every route declares what it needs
 * in `config.auth`, and the auth plugin's onRequest hook checks it before the route's own plugin sees the request.
 */
export async function buildGateway(deps: GatewayDeps): Promise<Gateway> {
  const clock = deps.clock ?? Date.now
  const limits = deps.limits ?? {}
  let draining = false
  let closing = false
  const maxHeaderSize = limits.maxHeaderSize ?? 16 * 1024
  const proxy = new ProxyService(deps.cache, deps.upstreams ?? {}, clock)
  const app = Fastify({
    // An upstream fronted for a Host (upstreams.<name>.hosts) gets every path of it, before routing.
    rewriteUrl: (request) => proxy.rewriteForHost(request.headers.host, request.url ?? '/'),
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    // Two log lines per request would cost more than an L1 hit; traffic is seen through /metrics and the sampled
    // access events, and errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: limits.bodyLimit ?? 2 * 1024 * 1024,
    // One app type for both: Fastify picks https.createServer when `https` is set.
    ...(deps.https === undefined ? { http: { maxHeaderSize } } : ({ https: { maxHeaderSize, ...deps.https } } as unknown as { http: { maxHeaderSize: number } })),
    routerOptions: { maxParamLength: limits.maxParamLength ?? 8_192 },
    // Our own onRequest hook answers requests that arrive while closing, as problem+json.
    return503OnClosing: false,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    clientErrorHandler: (error: NodeJS.ErrnoException, socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return
      const headerOverflow = error.code === 'HPE_HEADER_OVERFLOW'
      const body = JSON.stringify(
        headerOverflow
          ? problem('E_HEADERS_TOO_LARGE', `Request headers exceed ${limits.maxHeaderSize ?? 16 * 1024} bytes`, '')
          : problem('E_INVALID_REQUEST', 'The request could not be parsed as HTTP', ''),
      )
      const status = headerOverflow ? '431 Request Header Fields Too Large' : '400 Bad Request'
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  const routes: GatewayRoute[] = []
  app.addHook('onRoute', (route) => {
    // Swagger UI's own routes (static files, the JSON document) are public: the API description is not a secret.
    // Its HTML also gets helmet's page headers (a same-origin CSP for its scripts) instead of the API set.
    if (route.url.startsWith('/docs') && route.config?.auth === undefined) route.config = { ...route.config, auth: 'public', securityHeaders: 'page' }
    const hidden = route.schema?.hide === true
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, hidden, auth: route.config?.auth })
  })
  await app.register(errorHandlerPlugin)
  if (deps.securityHeaders !== false) {
    // API answers get the API set; Swagger UI's pages helmet's defaults (a same-origin CSP for its files); the console its own.
    const pageHeaders = securityHeaders()
    const consoleHeaders = consoleSecurityHeaders(serviceOrigins(deps.console?.services ?? {}))
    app.addHook('onRequest', (request, reply, next) => {
      // Proxied answers keep the origin's own headers (`config.securityHeaders: false` on the proxy routes).
      const wanted = request.routeOptions.config.securityHeaders
      if (wanted === undefined || wanted === true) reply.headers(API_SECURITY_HEADERS)
      else if (wanted === 'console') reply.headers(consoleHeaders)
      else if (wanted === 'page') reply.headers(pageHeaders)
      next()
    })
  }
  app.addHook('onRequest', (request, reply, next) => {
    if (!closing) return next()
    const path = request.url.split('?')[0] ?? request.url
    reply.code(503).header('connection', 'close').type(PROBLEM_CONTENT_TYPE).send(problem('E_SHUTTING_DOWN', 'The gateway is shutting down; retry on another instance', path))
  })
  if (deps.auth !== undefined) {
    await app.register(authPlugin, {
      authenticator: deps.auth.authenticator,
      rateLimiter: deps.auth.rateLimiter,
      ...(deps.auth.defaultRateLimit === undefined ? {} : { defaultRateLimit: deps.auth.defaultRateLimit }),
      audit: deps.auth.audit,
    })
  }
  if (deps.docs !== false) await app.register(openApiPlugin)
  else {
    const { ProblemSchema } = await import('./http/schemas.js')
    const { NamespaceSpecSchema } = await import('./namespaces/namespace-spec.js')
    app.addSchema(ProblemSchema)
    app.addSchema(NamespaceSpecSchema)
  }
  if (deps.hooks !== undefined && deps.hooks.length > 0) await app.register(cacheHooksPlugin, { cache: deps.cache, hooks: deps.hooks })
  await app.register(metricsPlugin, { cache: deps.cache, l1Bounds: deps.l1Bounds, processMetrics: deps.processMetrics ?? true, ...(deps.extraMetrics === undefined ? {} : { extra: deps.extraMetrics }) })
  if (deps.accessEvents !== undefined) await app.register(accessEventsPlugin, { cache: deps.cache, ...deps.accessEvents })
  await app.register(healthRoutes, { cache: deps.cache, checks: deps.checks ?? {}, draining: () => draining })
  // Namespaces that do not exist are not tracked: a caller could otherwise grow the table with made-up names.
  const stats = new GatewayStats((name) => deps.registry.get(name) !== undefined)
  await app.register(kvRoutes, { registry: deps.registry, clock, stats })
  await app.register(statsRoutes, { cache: deps.cache, registry: deps.registry, stats })
  await app.register(entryRoutes, { registry: deps.registry, clock })
  const history = new InvalidationHistory(deps.historySize ?? 1_000)
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
  await app.register(proxyRoutes, { proxy })

  return {
    app,
    proxy,
    routes,
    drain: () => {
      draining = true
    },
    close: async () => {
      draining = true
      closing = true
      // Requests in flight when close() began finish; their keep-alive connections are closed as soon as they go
      // idle, so close() completes without cutting anyone off (and no hook runs on every response for it).
      const sweeper = setInterval(() => app.server.closeIdleConnections(), 25)
      try {
        await app.close()
      } finally {
        clearInterval(sweeper)
      }
      await proxy.close()
    },
  }
}
