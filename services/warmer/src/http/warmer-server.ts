import { StrataError } from '@strata/core'
import type { AuthPluginOptions } from '@strata/security'
import { createServiceShell, type ServiceShell, type ServiceShellOptions } from '@strata/service'
import { Gauge } from 'prom-client'
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
  /** pino: a logger, or options for one (with trace ids, from the service shell). Default off. */
  logger?: ServiceShellOptions['logger']
}

/** The warmer's HTTP surface on the service shell: health, /metrics, the plan's targets with their last run, and a manual run. */
export function buildWarmerServer(options: WarmerServerOptions): ServiceShell {
  const { service, progress } = options
  const shell = createServiceShell({
    name: 'warmer',
    logger: options.logger,
    auth: options.auth,
    processMetrics: options.processMetrics !== false,
    checks: options.busReady === undefined ? {} : { bus: options.busReady },
  })
  const server = shell.app
  const registry = shell.registry
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
  return shell
}
