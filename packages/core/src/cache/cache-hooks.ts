import { StrataError } from '../errors/index.js'
import type { InvalidationKind } from './cache-events.js'

/** What each hook stage receives. Keys are the caller's logical keys. */
export interface HookContexts {
  beforeGet: { namespace: string; key: string }
  afterLoad: { namespace: string; key: string; value: unknown; durationMs: number }
  beforeSet: { namespace: string; key: string; value: unknown; tags: readonly string[]; ttl: number }
  evict: { namespace: string; key: string; cause: 'evicted' | 'expired' }
  invalidate: { namespace: string; kind: InvalidationKind; keys?: readonly string[]; tags?: readonly string[]; prefix?: string; remote: boolean }
  error: { namespace: string; operation: string; key?: string; error: StrataError }
}

export type HookStage = keyof HookContexts
export const HOOK_STAGES: readonly HookStage[] = ['beforeGet', 'afterLoad', 'beforeSet', 'evict', 'invalidate', 'error']

type HookFunction<S extends HookStage> = (context: HookContexts[S]) => void | Promise<void>

/**
 * A cache plugin: named functions the engine calls at fixed points of every namespace's life. Hooks observe; they
 * cannot change a value or fail a request. A hook that throws, or whose promise rejects, is reported (an `error`
 * event with code E_HOOK_FAILED and the `failures` counter) and the operation carries on. Promises are not awaited:
 * a slow hook never slows a read.
 */
export interface CacheHook {
  /** Names the hook in failure reports. */
  name: string
  /** Lower runs first; hooks with the same order run in registration order. Default 0. */
  order?: number
  beforeGet?: HookFunction<'beforeGet'>
  afterLoad?: HookFunction<'afterLoad'>
  beforeSet?: HookFunction<'beforeSet'>
  onEvict?: HookFunction<'evict'>
  onInvalidate?: HookFunction<'invalidate'>
  onError?: HookFunction<'error'>
}

const METHOD_OF: { [S in HookStage]: keyof CacheHook } = {
  beforeGet: 'beforeGet',
  afterLoad: 'afterLoad',
  beforeSet: 'beforeSet',
  evict: 'onEvict',
  invalidate: 'onInvalidate',
  error: 'onError',
}

interface Registered {
  hook: CacheHook
  order: number
  sequence: number
}

/**
 * The hooks of one cache, kept as one pre-sorted array per stage so that running a stage is a loop, and `active`
 * holds one boolean per stage that callers test before building a context (no hook, no cost).
 */
export class CacheHooks {
  readonly active: Record<HookStage, boolean> = { beforeGet: false, afterLoad: false, beforeSet: false, evict: false, invalidate: false, error: false }
  private registered: Registered[] = []
  private byStage = new Map<HookStage, { hook: CacheHook; run: HookFunction<HookStage> }[]>()
  private sequence = 0
  private failureCount = 0

  /**
   * @param report where a hook's failure goes (the cache's `error` event); never back into the hooks, so a failing
   *   onError hook cannot loop.
   * @param onChange told whether any beforeGet hook exists (the engine leaves its inlined hit path when one does).
   */
  constructor(
    private readonly report: (error: StrataError, context: { namespace: string; key?: string; stage: HookStage }) => void,
    private readonly onChange: () => void = () => undefined,
  ) {}

  /** Hook failures so far (thrown or rejected), for metrics. */
  get failures(): number {
    return this.failureCount
  }

  use(hook: CacheHook): () => void {
    if (typeof hook.name !== 'string' || hook.name === '') throw new StrataError('E_INVALID_OPTION', 'A cache hook needs a name')
    if (hook.order !== undefined && !Number.isFinite(hook.order)) {
      throw new StrataError('E_INVALID_OPTION', `Hook '${hook.name}' has an order that is not a finite number`, { context: { hook: hook.name } })
    }
    const entry = { hook, order: hook.order ?? 0, sequence: this.sequence++ }
    this.registered.push(entry)
    this.rebuild()
    return () => {
      this.registered = this.registered.filter((registered) => registered !== entry)
      this.rebuild()
    }
  }

  list(): CacheHook[] {
    return this.registered.map((registered) => registered.hook)
  }

  /** Runs every hook of `stage` in order; callers check `active[stage]` first. */
  run<S extends HookStage>(stage: S, context: HookContexts[S]): void {
    const hooks = this.byStage.get(stage)
    if (hooks === undefined) return
    for (const { hook, run } of hooks) {
      try {
        const outcome = run.call(hook, context)
        if (outcome !== undefined && typeof outcome.then === 'function') outcome.then(undefined, (error: unknown) => this.fail(hook, stage, context, error))
      } catch (error) {
        this.fail(hook, stage, context, error)
      }
    }
  }

  private fail(hook: CacheHook, stage: HookStage, context: HookContexts[HookStage], error: unknown): void {
    this.failureCount++
    const message = error instanceof Error ? error.message : String(error)
    const key = 'key' in context ? context.key : undefined
    const failure = new StrataError('E_HOOK_FAILED', `Cache hook '${hook.name}' failed in ${METHOD_OF[stage]}: ${message}`, {
      cause: error,
      context: { hook: hook.name, stage, namespace: context.namespace, ...(key === undefined ? {} : { key }) },
    })
    try {
      this.report(failure, { namespace: context.namespace, ...(key === undefined ? {} : { key }), stage })
    } catch {
      // The report goes to event listeners, which are isolated already; nothing may escape into the operation.
    }
  }

  private rebuild(): void {
    const sorted = [...this.registered].sort((a, b) => a.order - b.order || a.sequence - b.sequence)
    this.byStage = new Map()
    for (const stage of HOOK_STAGES) {
      const method = METHOD_OF[stage]
      const hooks = sorted.flatMap(({ hook }) => {
        const run = hook[method]
        return typeof run === 'function' ? [{ hook, run: run as HookFunction<HookStage> }] : []
      })
      if (hooks.length > 0) this.byStage.set(stage, hooks)
      this.active[stage] = hooks.length > 0
    }
    this.onChange()
  }
}
