import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))

/**
 * A Strata service's real `main.ts` as a child process, started the way production starts it: through tsx with
 * `--import @strata/telemetry/register`, so the ESM loader hook is what instruments it (nothing is set up in-test).
 */
export class ServiceProcess {
  readonly output: string[] = []
  private constructor(private readonly child: ChildProcess) {
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString('utf8'))
      if (this.output.length > 500) this.output.shift()
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
  }

  static start(service: string, env: Record<string, string>): ServiceProcess {
    const cwd = `${repoRoot}services/${service}`
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', '@strata/telemetry/register', 'src/main.ts'], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    return new ServiceProcess(child)
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null
  }

  /** The crash case: SIGKILL, no shutdown code runs. */
  async kill(): Promise<void> {
    if (this.exited) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGKILL')
    await exited
  }

  /** SIGTERM (the services flush their spans on the way out), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    if (this.exited) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(timer)
  }
}
