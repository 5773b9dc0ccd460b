import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import type { StrataCache } from '@strata/core'
import { problems } from '../http/schemas.js'
import type { NamespaceRegistry } from '../namespaces/namespace-registry.js'
import type { GatewayStats } from '../stats/gateway-stats.js'

export interface StatsRoutesOptions {
  cache: StrataCache
  registry: NamespaceRegistry
  stats: GatewayStats
  /** The proxy's configured upstreams (each listed, with zeros until it is asked). */
  upstreams: readonly string[]
}

const Latency = Type.Object(
  { p50: Type.Number(), p95: Type.Number(), p99: Type.Number() },
  { description: "Milliseconds: the gateway's KV request latency over the last 60 s (0 without traffic)" },
)
const Counters = {
  requests: Type.Integer({ description: 'KV API requests answered' }),
  hits: Type.Integer({ description: 'l1Hits + l2Hits' }),
  l1Hits: Type.Integer(),
  l2Hits: Type.Integer(),
  misses: Type.Integer(),
  coalesced: Type.Integer({ description: 'Reads that joined a load already under way (single-flight); hits for the ratio' }),
  staleHits: Type.Integer({ description: 'Stale values served (grace, fail-safe)' }),
  errors: Type.Integer({ description: "The engine's errors (L2, codec, hooks) plus KV answers with a 5xx status" }),
  hitRatio: Type.Number({ minimum: 0, maximum: 1, description: '(hits + coalesced) / (hits + coalesced + misses)' }),
  latencyMs: Latency,
}
const ProxyUpstream = Type.Object(
  {
    upstream: Type.String(),
    requests: Type.Integer({ description: 'Proxy answers of this upstream' }),
    hits: Type.Integer({ description: 'X-Cache: HIT' }),
    misses: Type.Integer({ description: 'X-Cache: MISS' }),
    stale: Type.Integer({ description: 'X-Cache: STALE (stale-while-revalidate, stale-if-error, max-stale)' }),
    revalidated: Type.Integer({ description: 'X-Cache: REVALIDATED (stored response served after a 304)' }),
    bypass: Type.Integer({ description: 'X-Cache: BYPASS (not cacheable, no-store, purges)' }),
    errors: Type.Integer({ description: 'Requests that failed before the proxy answered (origin down, refused)' }),
    hitRatio: Type.Number({ minimum: 0, maximum: 1, description: '(hits + revalidated) / (hits + revalidated + stale + misses)' }),
  },
  { description: "One upstream of the caching proxy: its answers since start, by X-Cache outcome" },
)
const StatsSchema = Type.Object({
  at: Type.Number({ description: 'epoch ms' }),
  uptimeMs: Type.Number(),
  totals: Type.Object(Counters),
  namespaces: Type.Array(
    Type.Object({
      name: Type.String(),
      ...Counters,
      sets: Type.Integer(),
      deletes: Type.Integer(),
      l1Entries: Type.Integer({ description: "Entries of this namespace in this instance's L1 now" }),
    }),
  ),
  proxy: Type.Array(ProxyUpstream, { description: 'The proxy upstreams (empty when none is configured)' }),
})

/** `GET /v1/stats`: the live snapshot the console polls (counters since start; it derives rates itself). */
export const statsRoutes: FastifyPluginCallbackTypebox<StatsRoutesOptions> = (app, { cache, registry, stats, upstreams }, done) => {
  app.get(
    '/v1/stats',
    {
      config: { auth: { scope: 'read', namespace: '*', audit: false } },
      schema: {
        tags: ['console'],
        summary: 'Live counters since start and 60 s latency percentiles, in total and per namespace, and the proxy per upstream (this instance)',
        response: { 200: StatsSchema, ...problems(401, 403) },
      },
    },
    () => {
      const namespaces = registry
        .list()
        .map((handle) => handle.cache)
        .sort((a, b) => a.name.localeCompare(b.name))
      return Promise.resolve(stats.snapshot(cache, namespaces, upstreams))
    },
  )
  done()
}
