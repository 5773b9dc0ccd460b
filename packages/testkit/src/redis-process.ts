import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'

export interface RedisProcessOptions {
  /**
   * `appendonly yes` with `appendfsync always`, like a queue Redis that must not lose an acknowledged write: SIGKILL
   * it and start it again on the same directory, and every acknowledged write is still there.
   */
  appendOnly?: boolean
}

/**
 * A throwaway redis-server on a loopback port, owned by one test so it can be killed and restarted (an outage)
 * without touching the shared servers. Only the process this helper spawned is ever signalled.
 */
export class RedisProcess {
  private child: ChildProcess | undefined
  private readonly dir = mkdtempSync(join(tmpdir(), 'strata-redis-'))

  constructor(
    readonly port: number,
    private readonly options: RedisProcessOptions = {},
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    const persistence = this.options.appendOnly
      ? ['--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction']
      : ['--appendonly', 'no']
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', this.dir], {
      stdio: 'ignore',
    })
    const probe = new Redis(this.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    probe.on('error', () => undefined)
    for (let attempt = 0; attempt < 200; attempt++) {
      try {
        await probe.connect()
        // While it loads its append-only file the server answers -LOADING; PING succeeds only once it is done.
        await probe.ping()
        probe.disconnect()
        return
      } catch {
        probe.disconnect()
        await sleep(50)
      }
    }
    throw new Error(`redis-server did not start on port ${this.port}`)
  }

  /** SIGKILL, as a crash: nothing is flushed that was not already. */
  async kill(): Promise<void> {
    const child = this.child
    if (child === undefined || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
    this.child = undefined
  }

  async dispose(): Promise<void> {
    await this.kill()
    rmSync(this.dir, { recursive: true, force: true })
  }
}
