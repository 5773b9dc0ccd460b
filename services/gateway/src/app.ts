import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { StrataCache } from '@strata/core'
import type { EventRule } from './events/event-rules.js'
import { PROBLEM_CONTENT_TYPE, problem } from '@strata/core'
import type { NamespaceRegistry } from './namespaces/namespace-registry.js'
import type { AccessPublisher } from './access/access-publisher.js'
import type { AccessSampling } from './access/access-sampling.js'
import { accessEventsPlugin } from './plugins/access-events.js'
import { adminRoutes } from './plugins/admin-routes.js'
import { errorHandlerPlugin } from './plugins/error-handler.js'
import { eventRoutes } from './plugins/event-routes.js'
import { healthRoutes } from './plugins/health-routes.js'
import { invalidationRoutes } from './plugins/invalidation-routes.js'
import { kvRoutes } from './plugins/kv-routes.js'
import { metricsPlugin } from './plugins/metrics.js'
import { openApiPlugin } from './plugins/openapi.js'
import { proxyRoutes } from './plugins/proxy-routes.js'
import { purgeRoutes } from './plugins/purge-routes.js'
import { ProxyService, type UpstreamConfig } from './proxy/proxy-service.js'

export interface GatewayLimits {
  /** Largest request body, bytes (Fastify bodyLimit). Default 2 MiB. */
  bodyLimit?: number
  /** Largest request header block, bytes (Node's maxHeaderSize). Default 16 KiB. */
  maxHeaderSize?: number
  /** Longest URL path parameter (a key), characters; namespaces' maxKeyLength applies within it. Default 8192. */
  maxParamLength?: number
}

/** Everything the gateway needs, built by main.ts / embedded.ts (real adapters) or by tests. */
export interface GatewayDeps {
  cache: StrataCache
  registry: NamespaceRegistry
  /** Proxy upstreams by name, served under /proxy/{name}/... */
  upstreams?: Record<string, UpstreamConfig>
  /** Domain event → invalidation rules for POST /v1/events (the embedded stand-in for the invalidator). */
  eventRules?: readonly EventRule[]
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
  /** More Prometheus text appended to /metrics (the OpenTelemetry meter's, from @strata/telemetry). */
  extraMetrics?: () => Promise<string>
  /** Sampled `strata.access.v1` accesses for analytics; the publisher is closed with the app. */
  accessEvents?: { publisher: AccessPublisher; sampling: AccessSampling }
}

export interface Gateway {
  app: FastifyInstance
  proxy: ProxyService
  /** Fails readiness from now on (first step of a graceful shutdown). */
  drain(): void
  /** Stops accepting, lets in-flight requests finish, closes origin pools. The cache is the caller's to close. */
  close(): Promise<void>
}

/**
 * Builds the gateway's Fastify app from its dependencies. Each concern is an encapsulated plugin that receives what
 * it needs as options; cross-cutting ones (errors, metrics, OpenAPI) are registered first and apply to all routes.
 * Authentication (issue 10) slots in as one more plugin here, with onRequest hooks scoped to the API plugins.
 */
export async function buildGateway(deps: GatewayDeps): Promise<Gateway> {
  const clock = deps.clock ?? Date.now
  const limits = deps.limits ?? {}
  let draining = false
  let closing = false
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: limits.bodyLimit ?? 2 * 1024 * 1024,
    http: { maxHeaderSize: limits.maxHeaderSize ?? 16 * 1024 },
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

  const proxy = new ProxyService(deps.cache, deps.upstreams ?? {}, clock)
  await app.register(errorHandlerPlugin)
  app.addHook('onRequest', (request, reply, next) => {
    if (!closing) return next()
    const path = request.url.split('?')[0] ?? request.url
    reply.code(503).header('connection', 'close').type(PROBLEM_CONTENT_TYPE).send(problem('E_SHUTTING_DOWN', 'The gateway is shutting down; retry on another instance', path))
  })
  if (deps.docs !== false) await app.register(openApiPlugin)
  else {
    const { ProblemSchema } = await import('./http/schemas.js')
    const { NamespaceSpecSchema } = await import('./namespaces/namespace-spec.js')
    app.addSchema(ProblemSchema)
    app.addSchema(NamespaceSpecSchema)
  }
  await app.register(metricsPlugin, { cache: deps.cache, processMetrics: deps.processMetrics ?? true, ...(deps.extraMetrics === undefined ? {} : { extra: deps.extraMetrics }) })
  if (deps.accessEvents !== undefined) await app.register(accessEventsPlugin, { cache: deps.cache, ...deps.accessEvents })
  await app.register(healthRoutes, { cache: deps.cache, checks: deps.checks ?? {}, draining: () => draining })
  await app.register(kvRoutes, { registry: deps.registry, clock })
  await app.register(invalidationRoutes, { registry: deps.registry })
  await app.register(adminRoutes, { registry: deps.registry })
  await app.register(purgeRoutes, { proxy })
  await app.register(eventRoutes, { registry: deps.registry, proxy, rules: deps.eventRules ?? [] })
  await app.register(proxyRoutes, { proxy })

  return {
    app,
    proxy,
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
