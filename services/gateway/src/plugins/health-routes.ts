import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import type { StrataCache } from '@strata/core'

export interface HealthRoutesOptions {
  cache: StrataCache
  /** Extra dependencies to check (the bus, the queue), each resolving true when usable. */
  checks: Record<string, () => Promise<boolean>>
  /** True once shutdown began: readiness fails so the load balancer stops sending traffic. */
  draining: () => boolean
}

const Check = Type.Object({ status: Type.Union([Type.Literal('up'), Type.Literal('down')]), detail: Type.Optional(Type.String()) })
const Readiness = Type.Object({ status: Type.Union([Type.Literal('ready'), Type.Literal('unready')]), checks: Type.Record(Type.String(), Check) })

/** Liveness (the process answers) and readiness (every configured dependency answers). */
export const healthRoutes: FastifyPluginCallbackTypebox<HealthRoutesOptions> = (app, { cache, checks, draining }, done) => {
  app.get(
    '/health/live',
    { config: { auth: 'public' }, schema: { tags: ['operations'], summary: 'Liveness', response: { 200: Type.Object({ status: Type.Literal('live') }) } } },
    () => Promise.resolve({ status: 'live' as const }),
  )

  app.get(
    '/health/ready',
    { config: { auth: 'public' }, schema: { tags: ['operations'], summary: 'Readiness: L2 ping and every configured dependency', response: { 200: Readiness, 503: Readiness } } },
    async (_request, reply) => {
      const results: Record<string, { status: 'up' | 'down'; detail?: string }> = {}
      if (draining()) results.gateway = { status: 'down', detail: 'draining for shutdown' }
      const health = await cache.health()
      if (health.l2 !== undefined) {
        results[`l2:${health.l2.name}`] = health.l2.reachable
          ? { status: 'up', detail: `circuit ${health.l2.circuit}` }
          : { status: 'down', detail: `unreachable; circuit ${health.l2.circuit}` }
      }
      await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          const ok = await check().catch(() => false)
          results[name] = { status: ok ? 'up' : 'down' }
        }),
      )
      const ready = Object.values(results).every((r) => r.status === 'up')
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unready', checks: results })
    },
  )
  done()
}
