import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'

/** What a readiness check found: up or down, and why. `name` renames it (the gateway's L2 check: `l2:redis`). */
export interface CheckResult {
  up: boolean
  detail?: string
  name?: string
}

/** A named dependency check for /health/ready: true/false, or a result with a detail. Rejecting counts as down. */
export type HealthCheck = () => Promise<boolean | CheckResult> | boolean | CheckResult

const Check = Type.Object({ status: Type.Union([Type.Literal('up'), Type.Literal('down')]), detail: Type.Optional(Type.String()) })
const Readiness = Type.Object({ status: Type.Union([Type.Literal('ready'), Type.Literal('unready')]), checks: Type.Record(Type.String(), Check) })

/**
 * Liveness (the process answers) and readiness (every named check is up, and the service is not draining). A check
 * that does not answer within `timeoutMs` is down: a hung dependency must not hang the probe too.
 */
export function healthRoutes(app: FastifyInstance, options: { checks: Map<string, HealthCheck>; draining: () => boolean; service: string; timeoutMs: number }): void {
  app.get(
    '/health/live',
    { config: { auth: 'public' }, schema: { tags: ['operations'], summary: 'Liveness', response: { 200: Type.Object({ status: Type.Literal('live') }) } } },
    () => Promise.resolve({ status: 'live' as const }),
  )
  app.get(
    '/health/ready',
    { config: { auth: 'public' }, schema: { tags: ['operations'], summary: 'Readiness: every dependency the service needs answers', response: { 200: Readiness, 503: Readiness } } },
    async (_request, reply) => {
      const results: Record<string, { status: 'up' | 'down'; detail?: string }> = {}
      if (options.draining()) results[options.service] = { status: 'down', detail: 'draining for shutdown' }
      await Promise.all(
        [...options.checks].map(async ([name, check]) => {
          const result = await runCheck(check, options.timeoutMs)
          results[result.name ?? name] = { status: result.up ? 'up' : 'down', ...(result.detail === undefined ? {} : { detail: result.detail }) }
        }),
      )
      const ready = Object.values(results).every((result) => result.status === 'up')
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unready', checks: results })
    },
  )
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ up: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs)
  })
  try {
    const answer = await Promise.race([Promise.resolve().then(check), timeout])
    return typeof answer === 'boolean' ? { up: answer } : answer
  } catch (error) {
    return { up: false, detail: error instanceof Error ? error.message : String(error) }
  } finally {
    clearTimeout(timer)
  }
}
