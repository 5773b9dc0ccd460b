import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * The admin key these processes bootstrap with (auth is on, as main.ts defaults it; keys in memory, a rate limit
 * far above what a test sends). Send it as `Authorization: Bearer`.
 */
export const PROCESS_ADMIN_KEY = `sk_testgateway1_${'A'.repeat(43)}`

export interface GatewayProcess {
  readonly child: ChildProcess
  readonly url: string
  readonly port: number
  /** SIGKILL: the crash case, no drain. */
  kill(): Promise<void>
  /** SIGTERM: the graceful drain. */
  stop(): Promise<void>
}

const gatewayDir = fileURLToPath(new URL('../../../services/gateway/', import.meta.url))

/** The gateway's real `main.ts` as its own process on a free port; resolves once it listens. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const child = fork(`${gatewayDir}src/main.ts`, [], {
    cwd: gatewayDir,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: {
      ...process.env,
      STRATA_GATEWAY_HOST: '127.0.0.1',
      STRATA_GATEWAY_PORT: '0',
      STRATA_LOG_LEVEL: 'info',
      STRATA_GATEWAY_DRAIN_DELAY_MS: '0',
      STRATA_GATEWAY_KEY_STORE: 'memory',
      STRATA_BOOTSTRAP_ADMIN_KEY: PROCESS_ADMIN_KEY,
      STRATA_RATE_LIMIT: '1000000/1000000',
      ...env,
    },
  })
  const url = await new Promise<string>((resolve, reject) => {
    let output = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match !== null) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`the gateway exited with ${code} before listening:\n${output}`)))
  })
  const signal = async (name: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill(name)
    await exited
  }
  return { child, url, port: Number(new URL(url).port), kill: () => signal('SIGKILL'), stop: () => signal('SIGTERM') }
}
