import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { StrataCache } from '@strata/core'
import { problems } from '../http/schemas.js'

export interface MetricsOptions {
  cache: StrataCache
  /** The L1's configured capacity, exposed as strata_l1_max_entries / strata_l1_max_bytes. */
  l1Bounds?: { maxEntries: number; maxBytes?: number | undefined } | undefined
  /** Default Node.js process metrics (event loop lag, heap, GC). */
  processMetrics?: boolean
  /** Appended to the exposition: metrics recorded through the OpenTelemetry meter, bridged rather than duplicated. */
  extra?: () => Promise<string>
}

/**
 * Prometheus metrics at /metrics, in a registry of this app's own (no global state, so several gateways can live in
 * one process). Cache counters are read from the engine's per-namespace stats at scrape time, costing the hit path
 * nothing; HTTP metrics come from one onResponse hook.
 */
export const metricsPlugin = fp(
  (app: FastifyInstance, { cache, processMetrics = true, extra, l1Bounds }: MetricsOptions, done: (error?: Error) => void) => {
    const registry = new Registry()
    if (processMetrics) collectDefaultMetrics({ register: registry, prefix: 'strata_gateway_' })

    new Counter({
      name: 'strata_cache_requests_total',
      help: 'Cache lookups by namespace, tier and result (hit, stale, miss)',
      labelNames: ['namespace', 'tier', 'result'],
      registers: [registry],
      collect() {
        this.reset()
        for (const name of cache.listNamespaces()) {
          const s = cache.namespace(name).stats()
          this.inc({ namespace: name, tier: 'l1', result: 'hit' }, s.l1Hits)
          this.inc({ namespace: name, tier: 'l2', result: 'hit' }, s.l2Hits)
          this.inc({ namespace: name, tier: 'any', result: 'stale' }, s.staleHits)
          this.inc({ namespace: name, tier: 'none', result: 'miss' }, s.misses)
        }
      },
    })
    new Counter({
      name: 'strata_cache_operations_total',
      help: 'Cache writes, deletes, loads and errors by namespace',
      labelNames: ['namespace', 'operation'],
      registers: [registry],
      collect() {
        this.reset()
        for (const name of cache.listNamespaces()) {
          const s = cache.namespace(name).stats()
          const ops = { set: s.sets, delete: s.deletes, load: s.loads, load_error: s.loadErrors, load_timeout: s.loadTimeouts, refresh: s.refreshes, fail_safe: s.failSafes, evict: s.l1Evictions, error: s.errors }
          for (const [operation, value] of Object.entries(ops)) this.inc({ namespace: name, operation }, value)
        }
      },
    })
    new Counter({
      name: 'strata_cache_hook_failures_total',
      help: 'Cache hooks that threw or rejected (the request went on without them)',
      registers: [registry],
      collect() {
        this.reset()
        this.inc(cache.hookFailures)
      },
    })
    // Outages and lost invalidations show in /metrics and the log, not only in a slower or emptier cache.
    const circuit = new Counter({
      name: 'strata_l2_circuit_transitions_total',
      help: "Changes of the L2 circuit breaker's state (open: L2 is skipped after repeated failures)",
      labelNames: ['state'],
      registers: [registry],
    })
    let circuitState: 'open' | 'closed' | 'half-open' = 'closed'
    new Gauge({
      name: 'strata_l2_circuit_open',
      help: '1 while the L2 circuit is open or half-open (L2 failing), 0 while it is closed',
      registers: [registry],
      collect() {
        this.set(circuitState === 'closed' ? 0 : 1)
      },
    })
    // The reason (offsets skipped, a silence) is in the log line: it carries numbers, so it is no label.
    const busGaps = new Counter({
      name: 'strata_bus_gaps_total',
      help: 'Times the invalidation bus could not vouch for every message (offsets jumped, silence), so L1 was dropped',
      registers: [registry],
    })
    if (l1Bounds !== undefined) {
      new Gauge({ name: 'strata_l1_max_entries', help: 'Configured L1 capacity in entries', registers: [registry] }).set(l1Bounds.maxEntries)
      if (l1Bounds.maxBytes !== undefined) new Gauge({ name: 'strata_l1_max_bytes', help: 'Configured L1 capacity in encoded bytes', registers: [registry] }).set(l1Bounds.maxBytes)
    }
    const gapDropped = new Counter({ name: 'strata_l1_dropped_on_gap_total', help: 'L1 entries dropped because of bus gaps', registers: [registry] })
    const unsubscribe = [
      cache.on('l2-circuit', ({ state }) => {
        circuitState = state
        circuit.inc({ state })
        if (state === 'open') app.log.warn({ circuit: state }, 'L2 circuit open: L2 is failing, reads go to the origin and writes are kept for replay')
        else app.log.info({ circuit: state }, `L2 circuit ${state}`)
      }),
      cache.on('bus-gap', ({ reason, dropped }) => {
        busGaps.inc()
        gapDropped.inc(dropped)
        app.log.warn({ reason, dropped }, 'invalidation bus gap: L1 dropped, so no stale copy can outlive a missed invalidation')
      }),
    ]
    app.addHook('onClose', (_instance, next) => {
      for (const off of unsubscribe) off()
      next()
    })

    const duration = new Histogram({
      name: 'strata_http_request_duration_seconds',
      help: 'Gateway HTTP request duration by route, method and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    })
    const proxyResults = new Counter({
      name: 'strata_proxy_responses_total',
      help: 'Proxy answers by X-Cache outcome',
      labelNames: ['outcome'],
      registers: [registry],
    })

    // prom-client hashes the label object on every observe; the label sets are few (route × method × status), so
    // each one's child is looked up once and kept.
    const durationByLabels = new Map<string, Histogram.Internal<'method' | 'route' | 'status_code'>>()
    app.addHook('onResponse', (request, reply, next) => {
      const route = request.routeOptions.url ?? 'unmatched'
      const labels = `${request.method} ${reply.statusCode} ${route}`
      let child = durationByLabels.get(labels)
      if (child === undefined) {
        child = duration.labels({ method: request.method, route, status_code: reply.statusCode })
        durationByLabels.set(labels, child)
      }
      child.observe(reply.elapsedTime / 1000)
      if (route === '/proxy/:upstream/*' || request.routeOptions.config.proxyMount !== undefined) proxyResults.inc({ outcome: String(reply.getHeader('x-cache') ?? 'ERROR') })
      next()
    })

    const metricsSchema = {
      tags: ['operations'],
      summary: 'Prometheus metrics (text exposition format)',
      response: {
        200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
        ...problems(),
      },
    }
    app.get('/metrics', { config: { auth: { scope: 'read', namespace: '*', audit: false } }, schema: metricsSchema }, async (_request, reply) => {
      const own = await registry.metrics()
      return reply.type(registry.contentType).send(extra === undefined ? own : own + (await extra()))
    })
    done()
  },
  { name: 'strata-metrics' },
)
