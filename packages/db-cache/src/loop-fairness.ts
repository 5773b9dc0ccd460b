/**
 * Keeps answers from memory from starving the process's I/O.
 *
 * A hit resolves in microtasks, and Node runs microtasks until none are left before it polls sockets. Callers that
 * query in a loop (a request handler issuing several queries, a batch job, a pool of workers) therefore chain hit after
 * hit without the event loop turning, while the replies PostgreSQL and Redis already sent for the misses and writes
 * wait in the socket buffers: those queries take as long as the whole burst of hits. Once hits have been answered for
 * `budgetMs` without the loop reaching its check phase, the next hits are answered after one turn (setImmediate runs
 * after the poll phase), so a reply waits at most about `budgetMs` for the loop.
 */
export class LoopFairness {
  private markerPending = false
  private markedAt = 0
  private deferred: Promise<void> | undefined
  private readonly onTurn = (): void => {
    this.markerPending = false
  }

  constructor(private readonly budgetMs: number) {}

  /** Undefined when an answer may go now; else a promise that settles once the event loop has polled I/O. */
  turn(): Promise<void> | undefined {
    if (this.budgetMs === Infinity) return undefined
    const now = performance.now()
    if (!this.markerPending) {
      // The first answer since the loop last turned: mark the turn, answer now.
      this.markerPending = true
      this.markedAt = now
      setImmediate(this.onTurn)
      return undefined
    }
    if (now - this.markedAt < this.budgetMs) return undefined
    // Queued after the marker, so the next burst starts with a fresh budget; one promise for all the answers held back.
    this.deferred ??= new Promise((resolve) =>
      setImmediate(() => {
        this.deferred = undefined
        resolve()
      }),
    )
    return this.deferred
  }
}
