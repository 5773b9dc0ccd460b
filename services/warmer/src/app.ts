import { consumeEvents, createEvent, publishEvents, type HotKeysEvent, type Subscription, type Transport, type WarmEvent } from '@strata/bus'
import { StrataError, type StrataCache } from '@strata/core'
import type { DbCache } from '@strata/db-cache'
import { Cron } from 'croner'
import { withSpan } from '@strata/telemetry'
import { RateLimiter } from './rate-limiter.js'
import type { WarmScheduler } from './schedule/warm-scheduler.js'
import type { KeyLoader, WarmTarget } from './warm-target.js'
import { Warmer, type WarmResult } from './warmer.js'
import { topicUse } from './topic-use.js'

export { RateLimiter } from './rate-limiter.js'
export { loadPlanFile, parsePlan, type WarmPlan } from './plan-loader.js'
export { Warmer, type WarmResult, type WarmTrigger } from './warmer.js'
export type { WarmTarget, KeysTarget, QueriesTarget, KeyLoader } from './warm-target.js'
export type { WarmScheduler } from './schedule/warm-scheduler.js'
export { BullmqWarmScheduler } from './schedule/bullmq-warm-scheduler.js'
export { CronWarmScheduler } from './schedule/cron-warm-scheduler.js'

export interface WarmerServiceDependencies {
  cache: StrataCache
  loaders: Readonly<Record<string, KeyLoader>>
  db?: DbCache
  targets: readonly WarmTarget[]
  scheduler: WarmScheduler
  /** Origin loads per second across every run of this process, and the burst after a quiet spell. */
  rate: { perSecond: number; burst?: number }
  /** Hot-keys reports are consumed from it and progress events published to it; none in a bare embedded setup. */
  transport?: Transport
  /** Defaults `strata.hot-keys.v1` and `strata.warming.v1`. */
  hotKeysTopic?: string
  warmingTopic?: string
  /** Consumer group of the warmers for hot-keys reports (work sharing). Default `strata.warmer`. */
  group?: string
  instanceId?: string
  onError?: (error: unknown, context: { target: string; item?: string }) => void
  /** Sees every progress event (started, finished) before it is published: metrics, the HTTP API's last runs. */
  onProgress?: (event: WarmEvent) => void
}

export interface WarmerService {
  readonly warmer: Warmer
  /** The plan's targets, by name. */
  readonly targets: ReadonlyMap<string, WarmTarget>
  /** Schedules cron targets, starts the schedule worker and the hot-keys consumer, then warms the on-start targets. */
  start(): Promise<void>
  stop(): Promise<void>
  /** Runs a target now (manual trigger). */
  run(name: string): Promise<WarmResult>
}

/** Builds the warmer service from its dependencies; `main.ts` wires the real ones. Throws E_INVALID_OPTION on a bad plan. */
export function buildWarmer(deps: WarmerServiceDependencies): WarmerService {
  const targets = new Map<string, WarmTarget>()
  for (const target of deps.targets) {
    if (targets.has(target.name)) throw new StrataError('E_INVALID_OPTION', `Warm target '${target.name}' is defined twice`)
    if (target.cron !== undefined) {
      try {
        new Cron(target.cron, { paused: true }).stop()
      } catch (error) {
        throw new StrataError('E_INVALID_OPTION', `Warm target '${target.name}': invalid cron '${target.cron}'`, { cause: error })
      }
    }
    if (target.kind === 'keys' && deps.loaders[target.namespace] === undefined) {
      throw new StrataError('E_INVALID_OPTION', `Warm target '${target.name}': no loader for namespace '${target.namespace}'`)
    }
    if (target.kind === 'queries' && deps.db === undefined) throw new StrataError('E_INVALID_OPTION', `Warm target '${target.name}' has queries but no database is configured`)
    targets.set(target.name, target)
  }
  let limiter: RateLimiter
  try {
    limiter = new RateLimiter(deps.rate.perSecond, deps.rate.burst ?? Math.max(1, Math.ceil(deps.rate.perSecond / 10)))
  } catch (error) {
    throw new StrataError('E_INVALID_OPTION', `Warmer rate: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
  const transport = deps.transport
  const source = `strata/warmer/${deps.instanceId ?? 'local'}`
  const warmer = new Warmer({
    cache: deps.cache,
    loaders: deps.loaders,
    ...(deps.db === undefined ? {} : { db: deps.db }),
    limiter,
    report: async (event: WarmEvent) => {
      deps.onProgress?.(event)
      if (transport !== undefined) {
        await publishEvents(transport, deps.warmingTopic ?? topicUse.produced.warming, [createEvent({ type: 'strata.warm.v1', source, subject: event.target, data: event })])
      }
    },
    ...(deps.onError === undefined ? {} : { onError: deps.onError }),
  })
  let hotKeys: Subscription | undefined
  const run = (name: string, trigger: 'schedule' | 'start' | 'manual'): Promise<WarmResult> => {
    const target = targets.get(name)
    if (target === undefined) return Promise.reject(new StrataError('E_INVALID_OPTION', `No warm target named '${name}'`))
    // A root span per run: its loads, queries and cache writes join one trace.
    return withSpan('warmer.run', { 'strata.warm.target': name, 'strata.warm.trigger': trigger }, () => warmer.run(target, trigger))
  }
  return {
    warmer,
    targets,
    async start() {
      for (const target of targets.values()) if (target.cron !== undefined) await deps.scheduler.schedule(target.name, target.cron)
      await deps.scheduler.start(async (name) => {
        await run(name, 'schedule')
      })
      if (transport !== undefined) {
        hotKeys = await consumeEvents(transport, deps.hotKeysTopic ?? topicUse.consumed.hotKeys, { group: deps.group ?? 'strata.warmer' }, async (event) => {
          if (event.type !== 'strata.hot-keys.v1') return
          const report = event.data as HotKeysEvent
          // A span per report: under the bus's consumer span when the report carries its producer's trace, else a
          // root, so a hot-keys warm's loads and cache writes are traced like any other run's.
          await withSpan('warmer.hot-keys', { 'strata.namespace': report.namespace, 'strata.warm.keys': report.keys.length }, () => warmer.warmHotKeys(report))
        })
      }
      for (const target of targets.values()) {
        if (target.onStart === true) await run(target.name, 'start').catch((error: unknown) => deps.onError?.(error, { target: target.name }))
      }
    },
    async stop() {
      await hotKeys?.close()
      await deps.scheduler.close()
    },
    run: (name) => run(name, 'manual'),
  }
}
export { topicUse } from './topic-use.js'
