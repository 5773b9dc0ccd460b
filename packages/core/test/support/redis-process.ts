import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'

/**
 * A throwaway redis-server on a loopback port, owned by one test so it can be killed and restarted (an L2 outage)
 * without touching the shared servers. Only the process this helper spawned is ever signalled.
 */
export class RedisProcess {
  private child: ChildProcess | undefined
  private readonly dir = mkdtempSync(join(tmpdir(), 'strata-redis-'))

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], {
      stdio: 'ignore',
    })
    const probe = new Redis(this.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    probe.on('error', () => undefined)
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        await probe.connect()
        await probe.ping()
        probe.disconnect()
        return
      } catch {
        await sleep(50)
      }
    }
    probe.disconnect()
    throw new Error(`redis-server did not start on port ${this.port}`)
  }

  async stop(): Promise<void> {
    const child = this.child
    if (child === undefined || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
    this.child = undefined
  }

  async dispose(): Promise<void> {
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }
}
