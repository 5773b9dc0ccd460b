import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'

/**
 * A throwaway redis-server owned by one test, with `appendonly yes` and `appendfsync always` like a queue Redis
 * that must not lose an acknowledged write: SIGKILL it and start it again on the same directory. Only the process
 * spawned here is ever signalled; the shared queue Redis is never touched.
 */
export class AppendOnlyRedis {
  private child: ChildProcess | undefined
  private readonly dir = mkdtempSync(join(tmpdir(), 'strata-wb-redis-'))

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction', '--dir', this.dir],
      { stdio: 'ignore' },
    )
    const probe = new Redis(this.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    probe.on('error', () => undefined)
    for (let attempt = 0; attempt < 200; attempt++) {
      try {
        await probe.connect()
        // Loading the append-only file answers -LOADING until done.
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
