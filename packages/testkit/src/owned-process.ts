import { spawn, type ChildProcess } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'

/**
 * One server process a test spawned and owns: it is the only process these helpers ever signal (by its own PID),
 * so the shared servers other tests use are never touched.
 */
export class OwnedProcess {
  private child: ChildProcess | undefined

  constructor(
    private readonly command: string,
    private readonly args: readonly string[],
  ) {}

  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
  }

  start(): void {
    if (this.running) return
    this.child = spawn(this.command, [...this.args], { stdio: 'ignore' })
    this.child.on('error', () => undefined)
  }

  /** SIGKILL, as a crash: nothing is flushed that was not already. */
  async kill(): Promise<void> {
    const child = this.child
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
    this.child = undefined
  }
}

/** Resolves once a Redis-protocol server (redis-server, sentinel) on the port answers PING. */
export async function waitForRedisPing(port: number, what = 'redis-server'): Promise<void> {
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  probe.on('error', () => undefined)
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      await probe.connect()
      await probe.ping()
      probe.disconnect()
      return
    } catch {
      probe.disconnect()
      await sleep(50)
    }
  }
  throw new Error(`${what} did not start on port ${port}`)
}

/** Runs one command on a short-lived connection; undefined when the server does not answer. */
export async function redisCommand(port: number, command: string, ...args: (string | number)[]): Promise<unknown> {
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 })
  client.on('error', () => undefined)
  try {
    await client.connect()
    return await client.call(command, ...args)
  } catch {
    return undefined
  } finally {
    client.disconnect()
  }
}
