import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { renderPrometheus } from './flush-metrics.js'
import { WriteBehindFlusher, type WriteBehindFlusherOptions } from './write-behind-flusher.js'

export type WriteBehindAppOptions = WriteBehindFlusherOptions & {
  /** Fastify's logger option (pino); off by default. */
  logger?: FastifyServerOptions['logger']
}

export interface WriteBehindApp {
  flusher: WriteBehindFlusher
  /** /metrics (Prometheus text), /health/live, /health/ready. */
  server: FastifyInstance
  start(): void
  /** Stops claiming, finishes the batches in progress, closes the server, the queues and the origin. */
  stop(): Promise<void>
}

/** Builds the write-behind service from its dependencies (main.ts wires the real ones; tests their own). */
export function buildWriteBehind(options: WriteBehindAppOptions): WriteBehindApp {
  const flusher = new WriteBehindFlusher(options)
  const server = Fastify({ logger: options.logger ?? false })

  server.get('/health/live', () => ({ status: 'ok' }))
  server.get('/health/ready', async (_request, reply) => {
    const origin = await options.origin.ping()
    const ready = flusher.isRunning && origin
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', flusher: flusher.isRunning, origin })
  })
  server.get('/metrics', async (_request, reply) => {
    const metrics = await flusher.getMetrics()
    return reply.type('text/plain; version=0.0.4').send(renderPrometheus(metrics, options.name))
  })

  return {
    flusher,
    server,
    start: () => flusher.start(),
    async stop() {
      await flusher.stop()
      await server.close()
      await options.jobs.close()
      await options.deadLetters.close()
      await options.origin.close()
    },
  }
}

export { WriteBehindFlusher, coalesce, type FlushJob, type DeadWrite, type WriteBehindErrorEvent } from './write-behind-flusher.js'
export type { WriteBehindMetrics } from './flush-metrics.js'
export type { FlushOrigin, FlushRecord, FlushOutcome } from './origins/flush-origin.js'
export { PostgresOrigin, isTransient } from './origins/postgres-origin.js'
export { HttpOrigin, VERSION_HEADER } from './origins/http-origin.js'
