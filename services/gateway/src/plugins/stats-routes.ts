import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import type { StrataCache } from '@strata/core'
import { problems } from '../http/schemas.js'
import type { NamespaceRegistry } from '../namespaces/namespace-registry.js'
import type { GatewayStats } from '../stats/gateway-stats.js'

export interface StatsRoutesOptions {
  cache: StrataCache
  registry: NamespaceRegistry
  stats: GatewayStats
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
})

/** `GET /v1/stats`: the live snapshot the console polls (counters since start; it derives rates itself). */
export const statsRoutes: FastifyPluginCallbackTypebox<StatsRoutesOptions> = (app, { cache, registry, stats }, done) => {
  app.get(
    '/v1/stats',
    {
      config: { auth: { scope: 'read', namespace: '*', audit: false } },
      schema: {
        tags: ['console'],
        summary: 'Live counters since start and 60 s latency percentiles, in total and per namespace (this instance)',
        response: { 200: StatsSchema, ...problems(401, 403) },
      },
    },
    () => {
      const namespaces = registry
        .list()
        .map((handle) => handle.cache)
        .sort((a, b) => a.name.localeCompare(b.name))
      return Promise.resolve(stats.snapshot(cache, namespaces))
    },
  )
  done()
}
