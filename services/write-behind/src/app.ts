import { answerWithProblems, requireCredentials, type AuthPluginOptions } from '@strata/security'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { replayDeadWrites } from './dead-writes/replay-dead-writes.js'
import { renderPrometheus } from './flush-metrics.js'
import { WriteBehindFlusher, type WriteBehindFlusherOptions } from './write-behind-flusher.js'

export type WriteBehindAppOptions = WriteBehindFlusherOptions & {
  /** Fastify's logger option (pino); off by default. */
  logger?: FastifyServerOptions['logger']
  /**
   * API keys / JWTs and audit for the HTTP API (packages/security): /metrics and the dead-write count need `read` on
   * `*`, a replay needs `admin` on `*`; health stays open. Without it the API is open (tests of other concerns).
   */
  auth?: Omit<AuthPluginOptions, 'stage'>
}

export interface WriteBehindApp {
  flusher: WriteBehindFlusher
  /** /metrics (Prometheus text), /health/live, /health/ready, the dead writes (count, replay). */
  server: FastifyInstance
  start(): void
  /** Stops claiming, finishes the batches in progress, closes the server, the queues and the origin. */
  stop(): Promise<void>
}

/** Builds the write-behind service from its dependencies (main.ts wires the real ones; tests their own). */
export function buildWriteBehind(options: WriteBehindAppOptions): WriteBehindApp {
  const flusher = new WriteBehindFlusher(options)
  const server = Fastify({ logger: options.logger ?? false })
  answerWithProblems(server)
  if (options.auth !== undefined) requireCredentials(server, options.auth)
  const readAll = { auth: { scope: 'read' as const, namespace: '*', audit: false } }

  server.get('/health/live', { config: { auth: 'public' } }, () => ({ status: 'ok' }))
  server.get('/health/ready', { config: { auth: 'public' } }, async (_request, reply) => {
    const origin = await options.origin.ping()
    const ready = flusher.isRunning && origin
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', flusher: flusher.isRunning, origin })
  })
  server.get('/metrics', { config: readAll }, async (_request, reply) => {
    const metrics = await flusher.getMetrics()
    return reply.type('text/plain; version=0.0.4').send(renderPrometheus(metrics, options.name))
  })
  server.get('/v1/dead-writes', { config: readAll }, async () => ({ queue: options.name, waiting: (await options.deadLetters.counts()).waiting }))
  // Puts every dead write back into the buffer; run it once the cause (a constraint, a bad row) is fixed at the origin.
  server.post('/v1/dead-writes/replay', { config: { auth: { scope: 'admin', namespace: '*', action: 'write-behind.replay' } } }, async () => ({
    queue: options.name,
    ...(await replayDeadWrites({ deadLetters: options.deadLetters, pending: options.pending })),
  }))

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

export { replayDeadWrites, type ReplayOutcome } from './dead-writes/replay-dead-writes.js'
export { deadWriteReport } from './dead-writes/dead-write-report.js'
export { WriteBehindFlusher, coalesce, type FlushJob, type DeadWrite, type WriteBehindErrorEvent } from './write-behind-flusher.js'
export type { WriteBehindMetrics } from './flush-metrics.js'
export type { FlushOrigin, FlushRecord, FlushOutcome } from './origins/flush-origin.js'
export { PostgresOrigin, isTransient } from './origins/postgres-origin.js'
export { HttpOrigin, VERSION_HEADER } from './origins/http-origin.js'
