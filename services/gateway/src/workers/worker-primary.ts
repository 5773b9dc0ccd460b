import type { Worker } from 'node:cluster'
import type { Logger } from 'pino'
import { ClusterIpcBroker, type IpcChannel } from '@strata/bus'
import { WorkerSupervisor } from './worker-supervisor.js'

export interface WorkerPrimaryOptions {
  workers: number
  /** True when the workers have no bus of their own (not Kafka): their invalidations then cross this process. */
  relayInvalidations: boolean
  logger: Logger
  shutdownTimeoutMs: number
}

/**
 * What the primary of a multi-worker gateway runs instead of a gateway: the supervisor, and the broker of the workers'
 * ClusterIpcTransport when their L1s have no other way to hear each other. Resolves with the exit code.
 */
export async function runWorkerPrimary(options: WorkerPrimaryOptions): Promise<number> {
  const broker = options.relayInvalidations ? new ClusterIpcBroker() : undefined
  const channelOf = (worker: Worker) => worker as unknown as IpcChannel
  const supervisor = new WorkerSupervisor({
    workers: options.workers,
    logger: options.logger,
    shutdownTimeoutMs: options.shutdownTimeoutMs,
    ...(broker === undefined
      ? {}
      : {
          onFork: (worker: Worker) => {
            broker.attach(channelOf(worker))
            return () => broker.detach(channelOf(worker))
          },
        }),
  })
  options.logger.info({ workers: options.workers, bus: broker === undefined ? 'kafka' : 'cluster-ipc' }, 'starting gateway workers')
  const code = await supervisor.run()
  await broker?.close()
  return code
}
