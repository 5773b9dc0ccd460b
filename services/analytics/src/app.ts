import type { Transport } from '@strata/bus'
import type { AuthPluginOptions } from '@strata/security'
import { createServiceShell, type ServiceShellOptions } from '@strata/service'
import type { FastifyInstance } from 'fastify'
import { Gauge } from 'prom-client'
import { AnalyticsState, type AnalyticsStateOptions } from './aggregation/analytics-state.js'
import { reportRoutes } from './http/report-routes.js'
import { ResourceMonitor } from './resources/resource-monitor.js'
import type { ResourceProbe } from './resources/resource-probe.js'
import { HotKeysPublisher, type HotKeysPublisherOptions } from './hot-keys-publisher.js'
import { RollupFlusher } from './rollup-flusher.js'
import type { AnalyticsTopics } from './source/event-dispatch.js'
import { KafkaEventSource, type KafkaEventSourceOptions } from './source/kafka-event-source.js'
import { TransportEventSource } from './source/transport-event-source.js'
import { DEFAULT_RETENTION, type RetentionPolicy, type RollupStore } from './store/rollup-store.js'

export { AnalyticsState } from './aggregation/analytics-state.js'
export { MAX_BUCKETS_PER_REQUEST } from './http/report-routes.js'
export type { RollupStore, RollupQuery, StoredAccessRow, RetentionPolicy } from './store/rollup-store.js'
export { PostgresRollupStore } from './store/postgres-rollup-store.js'
export { MemoryRollupStore } from './store/memory-rollup-store.js'
export { ShardsMrc } from './sketches/shards-mrc.js'
export { SpaceSaving } from './sketches/space-saving.js'
export { HotKeysPublisher, type HotKeysPublisherOptions } from './hot-keys-publisher.js'
export type { AnalyticsReport, NamespaceReport } from '@strata/api'
export type { TimelineEntry, AlertEntry, WarmRunEntry } from './aggregation/event-timeline.js'

export interface AnalyticsDependencies {
  store: RollupStore
  /**
   * API keys / JWTs, rate limits and audit for the HTTP API (packages/security): reports and /metrics need `read` on
   * `*`, health stays open. Without it the API is open (tests of other concerns).
   */
  auth?: Omit<AuthPluginOptions, 'stage'>
  /**
   * Origins the web console calls this service from (STRATA_CORS_ORIGINS; a function for origins known only once the
   * gateway listens). None: no cross-origin access.
   */
  corsOrigins?: readonly string[] | (() => readonly string[])
  kafka?: { brokers: readonly string[]; group: string; topics?: AnalyticsTopics; client?: KafkaEventSourceOptions['client'] }
  /**
   * Events from a bus Transport instead of Kafka: the embedded platform's in-process one, with the memory store
   * (positions stay with the transport; see TransportEventSource).
   */
  transport?: { transport: Transport; group: string; topics?: AnalyticsTopics }
  /** Publishes each namespace's hot keys as `strata.hot-keys.v1` on this transport (the warmer keeps them cached). */
  hotKeys?: HotKeysPublisherOptions & { transport: Transport }
  /** Positions in the store are kept per consumer; default: the Kafka group. */
  consumer?: string
  flushIntervalMs?: number
  retention?: RetentionPolicy
  /** The most buckets one report or series request may span (default MAX_BUCKETS_PER_REQUEST, 10,080: a week of minutes); past it a 400. */
  maxReportBuckets?: number
  state?: AnalyticsStateOptions
  clock?: () => number
  /** pino: a logger, or options for one (with trace ids, from the service shell). Default off. */
  logger?: ServiceShellOptions['logger']
  /** Resource probes (Redis INFO, Memcached stats, Kafka lag, process, other services' /metrics), polled in the background. */
  resources?: { probes: readonly ResourceProbe[]; intervalMs?: number }
}

export interface Analytics {
  readonly http: FastifyInstance
  readonly state: AnalyticsState
  readonly flusher: RollupFlusher
  readonly source: KafkaEventSource | undefined
  readonly resources: ResourceMonitor
  readonly hotKeys: HotKeysPublisher | undefined
  start(): Promise<void>
  /** Stops consuming, writes what was consumed, closes HTTP. */
  stop(): Promise<void>
}

/** Builds the analytics service from its dependencies; main.ts wires the real ones. */
export function buildAnalytics(deps: AnalyticsDependencies): Analytics {
  const clock = deps.clock ?? Date.now
  const state = new AnalyticsState({ ...deps.state, clock })
  const consumer = deps.consumer ?? deps.kafka?.group ?? deps.transport?.group ?? 'strata.analytics'
  let ready = false
  const shell = createServiceShell({
    name: 'analytics',
    logger: deps.logger,
    auth: deps.auth,
    corsOrigins: deps.corsOrigins,
    checks: { consumer: () => ({ up: ready, detail: ready ? 'consuming' : 'starting' }) },
  })
  const http = shell.app
  let source: KafkaEventSource | undefined
  let transportSource: TransportEventSource | undefined
  const flusher = new RollupFlusher(state, deps.store, {
    consumer,
    intervalMs: deps.flushIntervalMs ?? 1_000,
    afterCommit: (positions) => source?.commit(positions) ?? Promise.resolve(),
    onError: (error) => http.log.warn({ err: error }, 'rollup flush failed; retrying with the next one'),
  })
  const resources = new ResourceMonitor(deps.resources?.probes ?? [], { intervalMs: deps.resources?.intervalMs ?? 15_000, clock })
  let retention: NodeJS.Timeout | undefined
  const hotKeys =
    deps.hotKeys === undefined
      ? undefined
      : new HotKeysPublisher(state, deps.hotKeys.transport, { clock, onError: (error) => http.log.warn({ err: error }, 'hot keys not published; retrying with the next ones'), ...deps.hotKeys })

  const registry = shell.registry
  new Gauge({
    name: 'strata_analytics_ingested_total',
    help: 'Events folded into the analytics state, by kind',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      for (const [kind, value] of Object.entries(state.counters)) this.set({ kind }, value)
    },
  })
  new Gauge({
    name: 'strata_analytics_consumer_lag',
    help: 'Messages behind the end of each partition at the last fetch',
    labelNames: ['partition'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [id, lag] of source?.lag ?? []) this.set({ partition: id.replace('\0', ':') }, lag)
    },
  })

  new Gauge({
    name: 'strata_resource_value',
    help: 'The latest reading of each resource probe (Redis INFO, Memcached stats, Kafka lag, processes)',
    labelNames: ['probe', 'kind', 'metric'],
    registers: [registry],
    collect() {
      this.reset()
      for (const sample of resources.latest()) for (const [metric, value] of Object.entries(sample.values)) this.set({ probe: sample.probe, kind: sample.kind, metric }, value)
    },
  })

  // Reports span every namespace: reading them needs `read` on `*` (a route that declares nothing would need admin).
  const readAll = { auth: { scope: 'read' as const, namespace: '*', audit: false } }
  reportRoutes(http, { store: deps.store, state, clock, resources, routeConfig: readAll, ...(deps.maxReportBuckets === undefined ? {} : { maxBuckets: deps.maxReportBuckets }) })
  http.get('/v1/resources', { config: readAll }, () => ({ resources: resources.latest() }))

  return {
    http,
    state,
    flusher,
    resources,
    hotKeys,
    get source() {
      return source
    },
    async start() {
      await deps.store.ensureSchema()
      await deps.store.applyRetention(clock(), deps.retention ?? DEFAULT_RETENTION)
      // Hot keys as of the stored positions: consumption resumes from there, so the sketch continues exactly.
      state.loadSketches(await deps.store.sketches(consumer))
      if (deps.kafka !== undefined) {
        source = new KafkaEventSource(state, { ...deps.kafka, positions: await deps.store.positions(consumer) })
        await source.start()
      }
      if (deps.transport !== undefined) {
        transportSource = new TransportEventSource(state, deps.transport.transport, { group: deps.transport.group, ...(deps.transport.topics === undefined ? {} : { topics: deps.transport.topics }) })
        await transportSource.start()
      }
      flusher.start()
      resources.start()
      hotKeys?.start()
      retention = setInterval(() => void deps.store.applyRetention(clock(), deps.retention ?? DEFAULT_RETENTION).catch(() => undefined), 600_000)
      retention.unref()
      ready = true
    },
    async stop() {
      ready = false
      clearInterval(retention)
      hotKeys?.stop()
      await source?.stop()
      await transportSource?.stop()
      await flusher.stop()
      await resources.stop()
      await shell.close()
    },
  }
}
export { topicUse } from './topic-use.js'
