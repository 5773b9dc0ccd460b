import { StrataError } from '@strata/core'
import { answerWithProblems, requireCredentials, type AuthPluginOptions } from '@strata/security'
import Fastify, { type FastifyInstance } from 'fastify'
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { WarmerService } from '../app.js'
import type { WarmProgress } from './warm-progress.js'

export interface WarmerServerOptions {
  service: WarmerService
  progress: WarmProgress
  /** Readiness of the bus (KafkaTransport.ping); none: not checked. */
  busReady?: () => Promise<boolean>
  /** API keys: reading needs `read` on `*`, running a target `admin` on `*`; health stays open. */
  auth?: Omit<AuthPluginOptions, 'stage'>
  processMetrics?: boolean
}

/** The warmer's HTTP surface: health, /metrics, the plan's targets with their last run, and a manual run. */
export function buildWarmerServer(options: WarmerServerOptions): FastifyInstance {
  const { service, progress } = options
  const server = Fastify({ logger: false })
  answerWithProblems(server)
  if (options.auth !== undefined) requireCredentials(server, options.auth)

  const registry = new Registry()
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry })
  new Gauge({
    name: 'strata_warmer_runs_total',
    help: 'Finished warm runs, by target and trigger (schedule, start, manual, hot-keys)',
    labelNames: ['target', 'trigger'],
    registers: [registry],
    collect() {
      for (const { target, trigger, runs } of progress.runCounts()) this.set({ target, trigger }, runs)
    },
  })
  new Gauge({
    name: 'strata_warmer_items_total',
    help: 'Items of finished runs, by outcome: loaded from the origin, already cached, failed',
    labelNames: ['target', 'outcome'],
    registers: [registry],
    collect() {
      for (const { target, ...counts } of progress.itemCounts()) {
        for (const [outcome, value] of Object.entries(counts)) this.set({ target, outcome }, value)
      }
    },
  })
  new Gauge({
    name: 'strata_warmer_last_run_timestamp_seconds',
    help: 'When the last run of a target finished',
    labelNames: ['target'],
    registers: [registry],
    collect() {
      for (const run of progress.lastRuns()) this.set({ target: run.target }, run.at / 1000)
    },
  })
  new Gauge({ name: 'strata_warmer_runs_in_progress', help: 'Warm runs started and not finished', registers: [registry], collect() { this.set(progress.inProgress) } })

  const readAll = { auth: { scope: 'read' as const, namespace: '*', audit: false } }
  server.get('/health/live', { config: { auth: 'public' } }, () => ({ status: 'ok' }))
  server.get('/health/ready', { config: { auth: 'public' } }, async (_request, reply) => {
    const bus = options.busReady === undefined ? true : await options.busReady().catch(() => false)
    return reply.code(bus ? 200 : 503).send({ status: bus ? 'ok' : 'unavailable', bus })
  })
  server.get('/metrics', { config: readAll }, async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()))
  server.get('/v1/targets', { config: readAll }, () => ({
    targets: [...service.targets.values()].map((target) => {
      const last = progress.lastRun(target.name)
      return {
        name: target.name,
        kind: target.kind,
        ...('namespace' in target ? { namespace: target.namespace } : {}),
        ...(target.cron === undefined ? {} : { cron: target.cron }),
        onStart: target.onStart === true,
        ...(last === undefined ? {} : { lastRun: last }),
      }
    }),
  }))
  server.post<{ Params: { name: string } }>('/v1/targets/:name/run', { config: { auth: { scope: 'admin', namespace: '*', action: 'warmer.run' } } }, async (request) => {
    const { name } = request.params
    if (!service.targets.has(name)) throw new StrataError('E_WARM_TARGET_NOT_FOUND', `No warm target named '${name}' in the plan`, { context: { target: name } })
    return service.run(name)
  })
  return server
}
