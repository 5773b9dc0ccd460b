import type { FastifyInstance } from 'fastify'
import { collectDefaultMetrics, type Registry } from 'prom-client'
import { problems } from './problem-schema.js'
import { RouteDurations } from './route-durations.js'
import { addRouteResponseHook } from './route-hooks.js'

/** The event-loop lag histogram's sampling period, ms. */
export const EVENT_LOOP_SAMPLE_MS = 50

/** More Prometheus text for /metrics: a registry of the service's own, or a function rendering some. */
export type MetricsSource = Registry | (() => Promise<string> | string)

/**
 * /metrics for a service: the shell's registry (Node process metrics under their standard names — the same names in
 * every Strata process, so one alert or dashboard fits all — and HTTP request durations by route), then every
 * extra source the service adds (its own counters, the OpenTelemetry meter's text).
 */
export function serviceMetrics(app: FastifyInstance, options: { registry: Registry; processMetrics: boolean }): void {
  const { registry } = options
  // The event-loop lag histogram samples with a timer; prom-client's default (10 ms) wakes an idle process 100 times a
  // second, which was most of an idle gateway's CPU and a cost every process of a fleet pays apart (pnpm bench scale).
  // At 50 ms a stall of 50 ms or more is always seen, a shorter one in proportion to its length.
  if (options.processMetrics) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS })
  const durations = new RouteDurations(registry)
  // Each route records into its own series (added as a route hook when the route is declared), so the hot path
  // neither builds a label key nor reads request.routeOptions (a new object on every access).
  app.addHook('onRoute', (route) => {
    const observe = durations.route(route.url)
    addRouteResponseHook(route, (request, reply, next) => {
      observe(request.method, reply.statusCode, reply.elapsedTime / 1000)
      next()
    })
  })
  // Requests no route matched (the not-found handler) are counted under one route label.
  const unmatched = durations.route('unmatched')
  app.addHook('onResponse', (request, reply, next) => {
    if (request.is404) unmatched(request.method, reply.statusCode, reply.elapsedTime / 1000)
    next()
  })
}

/** GET /metrics: the registry, then every extra source (`read` on `*`, not audited: scrapers call it all the time). */
export function metricsRoute(app: FastifyInstance, options: { registry: Registry; sources: readonly MetricsSource[] }): void {
  const { registry } = options

  const schema = {
    tags: ['operations'],
    summary: 'Prometheus metrics (text exposition format)',
    response: {
      200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
      ...problems(),
    },
  }
  app.get('/metrics', { config: { auth: { scope: 'read', namespace: '*', audit: false } }, schema }, async (_request, reply) => {
    const texts = [await registry.metrics()]
    for (const source of options.sources) texts.push(typeof source === 'function' ? await source() : await source.metrics())
    return reply.type(registry.contentType).send(texts.filter((text) => text !== '').map((text) => (text.endsWith('\n') ? text : `${text}\n`)).join(''))
  })
}
