/**
 * Runs `stop` once on SIGTERM or SIGINT (or the `signals` given), then exits 0 (1 if it failed). A second signal exits
 * at once (an impatient operator). A service's stop drains: readiness fails first, then the server stops accepting
 * and in-flight requests finish (ServiceShell.close).
 */
export function onShutdownSignals(
  stop: (signal: NodeJS.Signals) => Promise<void>,
  log: (message: string, error?: unknown) => void,
  signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
): void {
  let stopping = false
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1)
    stopping = true
    log(`${signal}: draining`)
    stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        log('shutdown failed', error)
        process.exit(1)
      },
    )
  }
  for (const signal of signals) process.on(signal, handler)
}
