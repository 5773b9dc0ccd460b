/**
 * Runs `stop` once on SIGTERM or SIGINT, then exits. A second signal exits at once (an impatient operator). The
 * gateway's stop drains: readiness fails first, then the server stops accepting and in-flight requests finish.
 */
export function onShutdownSignals(stop: (signal: NodeJS.Signals) => Promise<void>, log: (message: string) => void): void {
  let stopping = false
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1)
    stopping = true
    log(`${signal}: draining`)
    stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        log(`shutdown failed: ${String(error)}`)
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', handler)
  process.on('SIGINT', handler)
}
