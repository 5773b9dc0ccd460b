import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { ServerOptions as HttpsServerOptions } from 'node:https'
import cors from '@fastify/cors'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify'
import type { LoggerOptions } from 'pino'
import { PROBLEM_CONTENT_TYPE, problem } from '@strata/core'
import { authPlugin, consoleCors, type AuthPluginOptions } from '@strata/security'
import { createLogger, currentTelemetry } from '@strata/telemetry'
import { Registry } from 'prom-client'
import { healthRoutes, type HealthCheck } from './health-routes.js'
import { parseJsonBodies } from './json-body.js'
import { lazyRequestLogger } from './lazy-request-logger.js'
import { ProblemSchema } from './problem-schema.js'
import { MethodIndex } from './method-index.js'
import { answerClientError, answerError, answerFrameworkError, answerNotFound, instanceOf } from './problem-answers.js'
import { API_SECURITY_HEADERS } from './security-headers.js'
import { metricsRoute, serviceMetrics, type MetricsSource } from './service-metrics.js'
import { describeSchemaIssues, type SchemaIssue } from './validation-message.js'

export interface ServiceLimits {
  /** Largest request body, bytes. Default 2 MiB. */
  bodyLimit?: number
  /** Largest request header block, bytes (Node's maxHeaderSize). Default 16 KiB. */
  maxHeaderSize?: number
  /** Longest path parameter, characters; longer answers 414. Default 8192. */
  maxParamLength?: number
  /** Deepest nesting of arrays and objects in a JSON body; deeper answers 400 E_JSON_TOO_DEEP. Default 128. */
  maxJsonDepth?: number
  /**
   * Time to receive a whole request, headers and body; past it the answer is 408 and the connection closes, so a
   * trickled body cannot hold a socket. Default 30 s.
   */
  requestTimeoutMs?: number
  /** Time to receive the request headers. Default 10 s (at most requestTimeoutMs). */
  headersTimeoutMs?: number
  /** An idle keep-alive connection is closed after this. Default 72 s (longer than common load balancers' 60 s). */
  keepAliveTimeoutMs?: number
}

export interface ServiceShellOptions {
  /** `gateway`, `invalidator`, ...: names the logger (`strata-<name>`) and the draining check. */
  name: string
  /**
   * pino: a logger instance, options for one (`strata-<name>`, with trace ids from @strata/telemetry), true for the
   * defaults, or false (the default: tests) for none.
   */
  logger?: FastifyBaseLogger | LoggerOptions | boolean | undefined
  /** Two log lines per request; off by default (traffic shows in /metrics; errors are always logged). */
  requestLogging?: boolean
  limits?: ServiceLimits
  /** API keys / JWTs, scopes, rate limits and audit (packages/security). Without it every route is open. */
  auth?: AuthPluginOptions | undefined
  /** Origins the web console calls this service from (a function for origins known only later). None: no CORS. */
  corsOrigins?: readonly string[] | (() => readonly string[]) | undefined
  /** Security headers on answers. Default true (the API set); routes pick a named set with `config.securityHeaders`. */
  securityHeaders?: boolean
  /** Named header sets routes can ask for (`config.securityHeaders: 'console'`). */
  headerSets?: Readonly<Record<string, Readonly<Record<string, string>>>>
  /** Readiness checks by name; more can be added with `addCheck`. */
  checks?: Readonly<Record<string, HealthCheck>>
  /** How long a readiness check may take before it counts as down. Default 2 s. */
  checkTimeoutMs?: number
  /** Node process metrics in /metrics. Default true. */
  processMetrics?: boolean
  /** More text for /metrics. The OpenTelemetry meter's text is added when telemetry runs in this process. */
  metrics?: readonly MetricsSource[]
  /** Serve HTTPS with these options. */
  https?: HttpsServerOptions | undefined
  /**
   * A plugin that must see every route as it is declared (the gateway's OpenAPI document): registered before the
   * shell's own routes (health, /metrics).
   */
  documentation?: FastifyPluginAsync
  /** Ajv: coerce query strings to numbers (`'array'`), or not (the default: JSON bodies are typed already). */
  coerceTypes?: boolean | 'array'
  /** Rewrites a request's URL before routing (the gateway routes an upstream fronted for a Host to its proxy path). */
  rewriteUrl?: (request: IncomingMessage) => string
}

export interface ServiceShell {
  readonly app: FastifyInstance
  /** The registry /metrics renders: the service adds its own metrics to it. */
  readonly registry: Registry
  readonly log: FastifyBaseLogger
  /** Adds a readiness check (e.g. a consumer that exists only once started). */
  addCheck(name: string, check: HealthCheck): void
  /** Fails readiness from now on (the first step of a graceful shutdown). */
  drain(): void
  readonly draining: boolean
  listen(options: { host: string; port: number }): Promise<string>
  /**
   * Drains, then stops accepting; requests in flight finish, idle keep-alive connections are closed as they go idle,
   * and requests arriving meanwhile on open connections get 503 E_SHUTTING_DOWN.
   */
  close(): Promise<void>
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * The one Fastify every Strata service is built on. In order: request ids, security headers and the closing gate
 * (one onRequest hook), CORS (before auth, so a preflight is answered without credentials), the auth plugin, JSON
 * bodies with a depth limit, one problem+json error handler, 404/405, the router's and Node's own errors as problem+
 * json, health, /metrics. Hooks are added directly (not through `register`), so the service's routes, declared after
 * this returns, get all of them.
 */
export function createServiceShell(options: ServiceShellOptions): ServiceShell {
  const limits = options.limits ?? {}
  const maxHeaderSize = limits.maxHeaderSize ?? 16 * 1024
  const maxParamLength = limits.maxParamLength ?? 8_192
  const requestTimeout = limits.requestTimeoutMs ?? 30_000
  const server = {
    maxHeaderSize,
    // How often Node looks for requests past their timeout: a quarter of it, so a trickle runs at most 25 % over (Node's
    // default, 30 s, would let it run 30 s over). Not every second: each sweep walks every connection, and at 1 s it
    // showed in the L1-hit benchmark.
    connectionsCheckingInterval: Math.max(100, Math.floor(requestTimeout / 4)),
    headersTimeout: Math.min(limits.headersTimeoutMs ?? 10_000, requestTimeout),
  }
  const methods = new MethodIndex({ maxParamLength })
  const idPrefix = randomUUID().slice(0, 8)
  let nextId = 0
  const logging = loggerOption(options)
  const app = Fastify({
    ...(options.rewriteUrl === undefined ? {} : { rewriteUrl: options.rewriteUrl }),
    ...logging,
    logController: new LogController({ disableRequestLogging: options.requestLogging !== true, requestIdLogLabel: 'request_id' }),
    // A request's child logger is made only when it writes a line: most requests (every cache hit) write none. (With
    // no logger Fastify makes no child at all, as long as its own factory is kept.)
    ...('loggerInstance' in logging ? { childLoggerFactory: lazyRequestLogger } : {}),
    bodyLimit: limits.bodyLimit ?? 2 * 1024 * 1024,
    // One app type for both: Fastify picks https.createServer when `https` is set.
    ...(options.https === undefined ? { http: server } : { https: { ...server, ...options.https } }),
    requestTimeout,
    keepAliveTimeout: limits.keepAliveTimeoutMs ?? 72_000,
    routerOptions: { maxParamLength },
    genReqId: (request: IncomingMessage) => {
      const given = request.headers['x-request-id']
      // A counter under a per-process random prefix: unique across instances, and cheaper than a UUID per request.
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : `${idPrefix}-${(nextId++).toString(36)}`
    },
    // Our own onRequest hook answers requests that arrive while closing, as problem+json.
    return503OnClosing: false,
    ajv: { customOptions: { coerceTypes: options.coerceTypes ?? false, removeAdditional: false, allErrors: false, verbose: true } },
    schemaErrorFormatter: (errors, part) => describeSchemaIssues(errors as unknown as SchemaIssue[], part),
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError(maxHeaderSize),
  } satisfies FastifyServerOptions & Record<string, unknown>) as unknown as FastifyInstance

  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) methods.add(method, route.url)
  })
  // Every route can point its error answers at the one Problem schema (problems()), and the OpenAPI document shows it.
  app.addSchema(ProblemSchema)
  app.setErrorHandler(answerError)
  app.setNotFoundHandler(answerNotFound(methods))
  parseJsonBodies(app, limits.maxJsonDepth ?? 128)

  let draining = false
  let closing = false
  const sets = options.headerSets ?? {}
  const withHeaders = options.securityHeaders !== false
  app.addHook('onRequest', (request, reply, done) => {
    if (withHeaders) {
      const wanted = request.routeOptions.config.securityHeaders
      if (wanted === undefined || wanted === true) reply.headers(API_SECURITY_HEADERS)
      else if (typeof wanted === 'string') reply.headers(sets[wanted] ?? API_SECURITY_HEADERS)
    }
    if (!closing) return done()
    const path = instanceOf(request.url)
    void reply.code(503).header('connection', 'close').type(PROBLEM_CONTENT_TYPE).send(problem('E_SHUTTING_DOWN', `The ${options.name} is shutting down; retry on another instance`, path))
  })
  if (options.corsOrigins !== undefined) {
    void cors(app, consoleCors(options.corsOrigins), (error) => {
      if (error) throw error
    })
  }
  if (options.auth !== undefined) {
    void authPlugin(app, options.auth, (error) => {
      if (error) throw error
    })
  }

  const checks = new Map(Object.entries(options.checks ?? {}))
  const registry = new Registry()
  const telemetry = currentTelemetry()
  serviceMetrics(app, { registry, processMetrics: options.processMetrics !== false })
  if (options.documentation !== undefined) void app.register(options.documentation)
  // Declared when the app loads (after the documentation plugin), in a child context that inherits every hook above.
  void app.register((child, _options, done) => {
    healthRoutes(child, { checks, draining: () => draining, service: options.name, timeoutMs: options.checkTimeoutMs ?? 2_000 })
    metricsRoute(child, {
      registry,
      sources: [...(options.metrics ?? []), ...(telemetry === undefined ? [] : [() => telemetry.prometheusText()])],
    })
    done()
  })

  return {
    app,
    registry,
    get log() {
      return app.log
    },
    addCheck: (name, check) => checks.set(name, check),
    drain: () => {
      draining = true
    },
    get draining() {
      return draining
    },
    listen: (address) => app.listen(address),
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
    },
  }
}

function loggerOption(options: ServiceShellOptions): { loggerInstance: FastifyBaseLogger } | { logger: false } {
  const logger = options.logger
  if (logger === undefined || logger === false) return { logger: false }
  if (typeof logger === 'object' && typeof (logger as FastifyBaseLogger).child === 'function') return { loggerInstance: logger as FastifyBaseLogger }
  return { loggerInstance: createLogger(`strata-${options.name}`, logger === true ? {} : logger) }
}
