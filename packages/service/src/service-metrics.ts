import type { FastifyInstance } from 'fastify'
import { Histogram, collectDefaultMetrics, type Registry } from 'prom-client'
import { problems } from './problem-schema.js'

/** More Prometheus text for /metrics: a registry of the service's own, or a function rendering some. */
export type MetricsSource = Registry | (() => Promise<string> | string)

/**
 * /metrics for a service: the shell's registry (Node process metrics under their standard names — the same names in
 * every Strata process, so one alert or dashboard fits all — and HTTP request durations by route), then every
 * extra source the service adds (its own counters, the OpenTelemetry meter's text).
 */
export function serviceMetrics(app: FastifyInstance, options: { registry: Registry; processMetrics: boolean }): void {
  const { registry } = options
  if (options.processMetrics) collectDefaultMetrics({ register: registry })
  const duration = new Histogram({
    name: 'strata_http_request_duration_seconds',
    help: 'HTTP request duration by route, method and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  // prom-client hashes the label object on every observe; the label sets are few (route × method × status), so
  // each one's child is looked up once and kept.
  const children = new Map<string, Histogram.Internal<'method' | 'route' | 'status_code'>>()
  app.addHook('onResponse', (request, reply, next) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const labels = `${request.method} ${reply.statusCode} ${route}`
    let child = children.get(labels)
    if (child === undefined) {
      child = duration.labels({ method: request.method, route, status_code: reply.statusCode })
      children.set(labels, child)
    }
    child.observe(reply.elapsedTime / 1000)
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
