import { AsyncLocalStorage } from 'node:async_hooks'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { toProblem, type StrataCache } from '@strata/core'
import { strataMeter } from '@strata/telemetry'
import type { AccessPublisher } from '../access/access-publisher.js'
import type { AccessSampling } from '../access/access-sampling.js'

export interface AccessEventsOptions {
  cache: StrataCache
  publisher: AccessPublisher
  sampling: AccessSampling
}

/** What the engine reported about the one lookup a request made. */
interface AccessSlot {
  result: 'hit' | 'miss' | 'coalesced' | 'stale' | undefined
  tier: 'l1' | 'l2' | 'origin' | undefined
}

const KEY_ROUTE = '/v1/namespaces/:ns/keys/:key'

/**
 * Publishes sampled `strata.access.v1` accesses of the KV API. The engine's hit/miss/load events say which tier
 * answered; they are tied to the request through an AsyncLocalStorage slot entered in onRequest (the engine emits
 * synchronously inside the handler's async context), and the sample is built in onResponse with the latency Fastify
 * measured. The request path only appends to the publisher's buffer.
 */
export const accessEventsPlugin = fp(
  (app: FastifyInstance, { cache, publisher, sampling }: AccessEventsOptions, done: (error?: Error) => void) => {
    const slots = new AsyncLocalStorage<AccessSlot>()
    const offCache = [
      cache.on('hit', (event) => {
        const slot = slots.getStore()
        if (slot === undefined) return
        slot.result = event.stale ? 'stale' : 'hit'
        slot.tier = event.tier
      }),
      cache.on('miss', (event) => {
        const slot = slots.getStore()
        if (slot === undefined) return
        slot.result = event.coalesced === true ? 'coalesced' : 'miss'
        slot.tier = undefined
      }),
      cache.on('load', () => {
        const slot = slots.getStore()
        if (slot !== undefined) slot.tier = 'origin'
      }),
      cache.on('evict', (event) => {
        if (event.cause === 'evicted') publisher.countEviction(event.namespace)
      }),
      // strata.error.v1 for error analytics: what the engine hit (an L2 down, a codec failure), never a value.
      cache.on('error', (event) => {
        publisher.recordError({ code: event.error.code, message: event.error.message, namespace: event.namespace, operation: event.operation })
      }),
    ]

    app.addHook('onRequest', (request, _reply, next) => {
      if (request.routeOptions.url !== KEY_ROUTE) return next()
      slots.run({ result: undefined, tier: undefined }, next)
    })
    // Our failures (5xx) on any route, by code; the caller's mistakes (4xx) are not errors of the service.
    app.addHook('onError', (request, _reply, error, next) => {
      const answer = toProblem(error, request.url)
      if (answer.status >= 500) {
        const ns = (request.params as { ns?: unknown } | undefined)?.ns
        publisher.recordError({
          code: answer.code,
          message: answer.title,
          ...(typeof ns === 'string' ? { namespace: ns } : {}),
          operation: `${request.method} ${request.routeOptions.url ?? 'unmatched'}`,
        })
      }
      next()
    })
    app.addHook('onResponse', (request, reply, next) => {
      if (request.routeOptions.url !== KEY_ROUTE || reply.statusCode >= 500) return next()
      const { ns, key } = request.params as { ns: string; key: string }
      const rate = sampling.sample(ns)
      if (rate === 0) return next()
      const slot = slots.getStore()
      const method = request.method
      const operation = method === 'GET' ? 'get' : method === 'PUT' ? 'set' : method === 'DELETE' ? 'delete' : undefined
      if (operation === undefined || (operation === 'get' && slot?.result === undefined)) return next()
      const length = Number(reply.getHeader('content-length'))
      publisher.record({
        namespace: ns,
        key: sampling.publishedKey(ns, key),
        operation,
        result: operation === 'get' ? slot!.result! : 'ok',
        ...(operation === 'get' && slot?.tier !== undefined ? { tier: slot.tier } : {}),
        latencyMs: reply.elapsedTime,
        ...(Number.isInteger(length) && length >= 0 ? { bytes: length } : {}),
        ...(rate < 1 ? { sampleRate: rate } : {}),
        ...(sampling.hashes(ns) ? { hashed: true } : {}),
        at: Date.now(),
      })
      next()
    })
    // Through the OpenTelemetry meter (a no-op without the SDK): /metrics shows them via the telemetry bridge.
    const meter = strataMeter()
    const published = meter.createObservableCounter('strata_access_events_published', { description: 'Sampled accesses published to the bus' })
    const dropped = meter.createObservableCounter('strata_access_events_dropped', { description: 'Sampled accesses dropped because the bus was slow or failed' })
    const observe = (result: { observe(value: number): void }, value: number) => result.observe(value)
    const observePublished = (result: { observe(value: number): void }) => observe(result, publisher.stats.published)
    const observeDropped = (result: { observe(value: number): void }) => observe(result, publisher.stats.dropped)
    published.addCallback(observePublished)
    dropped.addCallback(observeDropped)

    app.addHook('onClose', async () => {
      published.removeCallback(observePublished)
      dropped.removeCallback(observeDropped)
      for (const off of offCache) off()
      await publisher.close()
    })
    done()
  },
  { name: 'strata-access-events' },
)
