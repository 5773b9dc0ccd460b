/** Where a command writes and what it reads: the process in `main`, buffers in tests. */
export interface CliIo {
  out(text: string): void
  err(text: string): void
  env: NodeJS.ProcessEnv
  /** Resolves when a long-running command (start) should stop; default: SIGINT or SIGTERM. */
  untilStopped?: () => Promise<void>
}

/** Exit codes: 0 done, 1 the operation failed (gateway error, not found, server down), 2 bad usage or invalid input. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

/** A failure whose message is for the operator, with the exit code it means. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message)
  }
}
