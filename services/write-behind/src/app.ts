import type { AuthPluginOptions } from '@strata/security'
import { createServiceShell, type ServiceShellOptions } from '@strata/service'
import type { FastifyInstance } from 'fastify'
import { replayDeadWrites } from './dead-writes/replay-dead-writes.js'
import { renderPrometheus } from './flush-metrics.js'
import { WriteBehindFlusher, type WriteBehindFlusherOptions } from './write-behind-flusher.js'

export type WriteBehindAppOptions = WriteBehindFlusherOptions & {
  /** pino: a logger, or options for one (with trace ids, from the service shell). Default off. */
  logger?: ServiceShellOptions['logger']
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
  const shell = createServiceShell({
    name: 'write-behind',
    logger: options.logger,
    auth: options.auth,
    checks: { flusher: () => flusher.isRunning, origin: () => options.origin.ping() },
    metrics: [async () => renderPrometheus(await flusher.getMetrics(), options.name)],
  })
  const server = shell.app
  const readAll = { auth: { scope: 'read' as const, namespace: '*', audit: false } }

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
      await shell.close()
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
export { topicUse } from './topic-use.js'
