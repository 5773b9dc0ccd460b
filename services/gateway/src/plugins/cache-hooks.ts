import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { CacheHook, StrataCache } from '@strata/core'

export interface CacheHooksOptions {
  cache: StrataCache
  hooks: readonly CacheHook[]
}

/**
 * Registers cache hooks (before get, after load, before set, on evict, on invalidate, on error) on the gateway's
 * cache for the lifetime of the Fastify instance. The engine isolates them: a failing hook never fails a request, it
 * is counted (strata_cache_hook_failures_total in /metrics) and reported as an `error` event.
 */
export const cacheHooksPlugin = fp(
  (app: FastifyInstance, { cache, hooks }: CacheHooksOptions, done: (error?: Error) => void) => {
    const removals = hooks.map((hook) => cache.use(hook))
    app.addHook('onClose', (_instance, next) => {
      for (const remove of removals) remove()
      next()
    })
    done()
  },
  { name: 'strata-cache-hooks' },
)
