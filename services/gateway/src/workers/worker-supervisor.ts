import cluster, { type Worker } from 'node:cluster'
import type { Logger } from 'pino'

/** Tells a forked worker which slot (1..N) it fills: stable across restarts, unlike its pid or cluster id. */
const WORKER_SLOT_VARIABLE = 'STRATA_GATEWAY_WORKER_SLOT'

/**
 * In a worker the supervisor forked: its slot (1..N); undefined in the primary or a single-process gateway. Handed
 * over in the worker's environment by the primary, not a setting of anyone's.
 */
export function currentWorkerSlot(): number | undefined {
  if (!cluster.isWorker) return undefined
  const slot = Number(process.env[WORKER_SLOT_VARIABLE])
  return Number.isInteger(slot) && slot >= 1 ? slot : undefined
}

export interface WorkerSupervisorOptions {
  workers: number
  logger: Logger
  /** Called as each worker is forked (e.g. to serve its IPC); what it returns runs once that worker has exited. */
  onFork?: (worker: Worker, slot: number) => () => Promise<void> | void
  /** Wait before restarting a worker that died: `initialMs`, doubling per crash of the same slot, up to `maxMs`. */
  restartBackoff?: { initialMs: number; maxMs: number }
  /** A worker that stays up this long resets its slot's backoff. Default 30 s. */
  stableAfterMs?: number
  /** Workers of one slot exiting before they listen this many times in a row: give up, exit non-zero. Default 5. */
  maxStartFailures?: number
  /** After SIGTERM/SIGINT, workers still running this long are killed (and the exit code is 1). */
  shutdownTimeoutMs: number
}

interface Slot {
  worker: Worker | undefined
  startedAt: number
  listening: boolean
  /** Crashes since the slot was last stable: the backoff's exponent. */
  crashes: number
  /** Exits before listening, in a row. */
  startFailures: number
  restart: NodeJS.Timeout | undefined
}

/**
 * The node:cluster primary of a multi-worker gateway: forks one worker per slot (each runs the whole gateway on the
 * shared port), restarts a worker that dies after a bounded exponential backoff, and on SIGTERM or SIGINT sends every
 * worker SIGTERM, whose own handler drains it (readiness fails, in-flight requests finish). `run` resolves with the
 * primary's exit code: 0 once every worker drained cleanly, 1 if workers kept crashing at start or a drain failed.
 */
export class WorkerSupervisor {
  private readonly slots = new Map<number, Slot>()
  private stopping = false
  private failed = false
  private allListeningLogged = false
  private finish: ((code: number) => void) | undefined

  constructor(private readonly options: WorkerSupervisorOptions) {}

  run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.finish = resolve))
    for (let slot = 1; slot <= this.options.workers; slot++) {
      this.slots.set(slot, { worker: undefined, startedAt: 0, listening: false, crashes: 0, startFailures: 0, restart: undefined })
      this.fork(slot)
    }
    let signalled = false
    const onSignal = (signal: NodeJS.Signals): void => {
      // A second signal: an impatient operator; no more waiting for drains.
      if (signalled) return this.killAll('SIGKILL')
      signalled = true
      this.options.logger.info({ signal, workers: this.live().length }, `${signal}: draining every worker`)
      this.stop()
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
    return done.finally(() => {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
    })
  }

  private fork(slot: number): void {
    const state = this.slots.get(slot)!
    state.restart = undefined
    const worker = cluster.fork({ [WORKER_SLOT_VARIABLE]: String(slot) })
    const log = this.options.logger.child({ slot, workerPid: worker.process.pid })
    Object.assign(state, { worker, startedAt: Date.now(), listening: false })
    const release = this.options.onFork?.(worker, slot)
    worker.once('listening', () => {
      state.listening = true
      state.startFailures = 0
      log.info('worker listening')
      if (!this.allListeningLogged && [...this.slots.values()].every((other) => other.listening)) {
        this.allListeningLogged = true
        this.options.logger.info({ workers: this.slots.size }, 'all workers listening')
      }
    })
    worker.once('exit', (code, signal) => {
      state.worker = undefined
      void Promise.resolve(release?.()).catch((error: unknown) => log.warn({ err: error }, 'releasing the worker failed'))
      if (this.stopping) {
        if (code !== 0) this.failed = true
        log.info({ code, signal }, 'worker exited')
        this.settleIfDone()
        return
      }
      this.crashed(slot, state, log, code, signal)
    })
  }

  private crashed(slot: number, state: Slot, log: Logger, code: number | null, signal: string | null): void {
    const maxStartFailures = this.options.maxStartFailures ?? 5
    if (!state.listening && ++state.startFailures >= maxStartFailures) {
      log.error({ code, signal, attempts: state.startFailures }, `worker ${slot} exited before listening ${state.startFailures} times in a row: giving up`)
      this.failed = true
      this.stop()
      return
    }
    if (Date.now() - state.startedAt >= (this.options.stableAfterMs ?? 30_000)) state.crashes = 0
    const { initialMs, maxMs } = this.options.restartBackoff ?? { initialMs: 100, maxMs: 10_000 }
    const delay = Math.min(maxMs, initialMs * 2 ** state.crashes)
    state.crashes++
    log.warn({ code, signal, restartInMs: delay }, 'worker died; restarting it')
    state.restart = setTimeout(() => this.fork(slot), delay)
  }

  private stop(): void {
    this.stopping = true
    for (const state of this.slots.values()) {
      clearTimeout(state.restart)
      state.restart = undefined
    }
    this.killAll('SIGTERM')
    const timer = setTimeout(() => {
      const left = this.live()
      if (left.length === 0) return
      this.options.logger.error({ workers: left.length, timeoutMs: this.options.shutdownTimeoutMs }, 'workers did not drain in time: killing them')
      this.failed = true
      this.killAll('SIGKILL')
    }, this.options.shutdownTimeoutMs)
    timer.unref()
    this.settleIfDone()
  }

  private killAll(signal: NodeJS.Signals): void {
    for (const worker of this.live()) worker.process.kill(signal)
  }

  private live(): Worker[] {
    return [...this.slots.values()].flatMap((state) => (state.worker === undefined ? [] : [state.worker]))
  }

  private settleIfDone(): void {
    if (this.live().length === 0) this.finish?.(this.failed ? 1 : 0)
  }
}
