import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** What services/platform prints with `--json` once everything listens. */
export interface PlatformUrls {
  gateway: string
  console: string
  alerting: string
  analytics: string
  docs: string
  metrics: string
  origin: string
  proxyExample: string
  kvExample: string
}

export interface PlatformProcess {
  readonly child: ChildProcess
  readonly urls: PlatformUrls
  /** The admin key the platform made at start. */
  readonly adminKey: string
  /** SIGTERM (the platform closes its services in order), SIGKILL after 15 s. */
  stop(): Promise<void>
}

const platformDir = fileURLToPath(new URL('../../../services/platform/', import.meta.url))

/**
 * `pnpm start`'s platform (services/platform/src/main.ts) as its own process on ephemeral ports, for those that must
 * not import services (packages, other services' tests). Resolves with its URLs and admin key once it listens.
 */
export async function startPlatformProcess(options: { alertingIntervalMs?: number; analyticsFlushMs?: number; timeoutMs?: number } = {}): Promise<PlatformProcess> {
  const args = ['--import', 'tsx', 'src/main.ts', '--json', '--port', '0', '--origin-port', '0', '--alerting-port', '0', '--analytics-port', '0']
  if (options.alertingIntervalMs !== undefined) args.push('--alerting-interval-ms', String(options.alertingIntervalMs))
  if (options.analyticsFlushMs !== undefined) args.push('--analytics-flush-ms', String(options.analyticsFlushMs))
  const child = spawn(process.execPath, args, { cwd: platformDir, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const ready = new Promise<PlatformUrls & { adminKey: string }>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const line = output.split('\n').find((text) => text.startsWith('{'))
      if (line === undefined) return
      child.stdout.off('data', onData)
      resolve(JSON.parse(line) as PlatformUrls & { adminKey: string })
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString('utf8')))
    child.once('exit', (code) => reject(new Error(`the platform exited with ${code} before listening:\n${output}`)))
  })
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(timer)
  }
  const timeoutMs = options.timeoutMs ?? 90_000
  let timer: NodeJS.Timeout | undefined
  try {
    const { adminKey, ...urls } = await Promise.race([
      ready,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the platform did not listen within ${timeoutMs} ms:\n${output}`)), timeoutMs))),
    ])
    return { child, urls, adminKey, stop }
  } catch (error) {
    await stop()
    throw error
  } finally {
    clearTimeout(timer)
  }
}
