import fp from 'fastify-plugin'
import type { FastifyInstance, onResponseHookHandler } from 'fastify'
import { Counter, Gauge, type Registry } from 'prom-client'
import type { StrataCache } from '@strata/core'
import { addRouteResponseHook, fanoutErrorMetric, type FanoutErrorCounts } from '@strata/service'
import { CACHE_OUTCOMES } from '../proxy/proxy-cache.js'

export interface MetricsOptions {
  cache: StrataCache
  /** The service shell's registry, which /metrics renders (with the process and HTTP metrics). */
  registry: Registry
  /** The L1's configured capacity, exposed as strata_l1_max_entries / strata_l1_max_bytes. */
  l1Bounds?: { maxEntries: number; maxBytes?: number | undefined } | undefined
  /** The fast invalidation fanout's failures (STRATA_FAST_INVALIDATION=redis), as strata_fast_invalidation_errors_total. */
  fanoutErrors?: FanoutErrorCounts | undefined
}

/**
 * The gateway's own metrics in the shell's registry (one per app: no global state, so several gateways can live in
 * one process). Cache counters are read from the engine's per-namespace stats at scrape time, costing the hit path
 * nothing; proxy outcomes come from one onResponse hook.
 */
export const metricsPlugin = fp(
  (app: FastifyInstance, { cache, registry, l1Bounds, fanoutErrors }: MetricsOptions, done: (error?: Error) => void) => {

    new Counter({
      name: 'strata_cache_requests_total',
      help: 'Cache lookups by namespace, tier and result (hit, stale, miss, coalesced: joined a load under way)',
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
          this.inc({ namespace: name, tier: 'none', result: 'coalesced' }, s.coalesced)
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
    if (fanoutErrors !== undefined) fanoutErrorMetric(registry, fanoutErrors)
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

    const proxyResults = new Counter({
      name: 'strata_proxy_responses_total',
      help: 'Proxy answers by X-Cache outcome',
      labelNames: ['outcome'],
      registers: [registry],
    })

    // One pre-bound child per outcome the proxy answers (its X-Cache values), so an answer costs no label hashing;
    // an answer without one (an error) counts as ERROR.
    const byOutcome = new Map([...CACHE_OUTCOMES, 'ERROR'].map((outcome) => [outcome, proxyResults.labels({ outcome })]))
    const errors = byOutcome.get('ERROR')!
    // Only proxy routes carry the hook (added as each is declared): other answers pay nothing for it.
    const countProxyResult: onResponseHookHandler = (_request, reply, next) => {
      ;(byOutcome.get(reply.getHeader('x-cache') as string) ?? errors).inc()
      next()
    }
    app.addHook('onRoute', (route) => {
      if (route.url === '/proxy/:upstream/*' || route.config?.proxyMount !== undefined) {
        addRouteResponseHook(route, countProxyResult)
      }
    })
    done()
  },
  { name: 'strata-metrics' },
)
