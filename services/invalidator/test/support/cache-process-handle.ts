import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The parent's side of cache-process.ts: fork it, wait until it follows the bus, ask it about its L1. */
export class CacheProcessHandle {
  private nextId = 1
  private readonly pending = new Map<number, (reply: Record<string, unknown>) => void>()
  readonly evictions: { keys: string[]; at: number }[] = []
  private readonly evictionListeners = new Set<(keys: string[], at: number) => void>()

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (raw) => {
      const message = raw as Record<string, unknown>
      if (Array.isArray(message.evicted)) {
        const keys = message.evicted as string[]
        this.evictions.push({ keys, at: message.at as number })
        for (const listener of this.evictionListeners) listener(keys, message.at as number)
        return
      }
      const resolve = this.pending.get(message.id as number)
      this.pending.delete(message.id as number)
      resolve?.(message)
    })
  }

  static async start(args: { instanceId: string; brokers: string[]; redisUrl: string; prefix: string; topic: string }): Promise<CacheProcessHandle> {
    const script = fileURLToPath(new URL('./cache-process.ts', import.meta.url))
    const child = fork(script, [args.instanceId, args.brokers.join(','), args.redisUrl, args.prefix, args.topic], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('cache process did not get ready within 60 s')), 60_000)
      child.once('exit', (code) => reject(new Error(`cache process exited with ${code}`)))
      child.on('message', (message) => {
        if ((message as { ready?: boolean }).ready === true) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
    return new CacheProcessHandle(child)
  }

  onEviction(listener: (keys: string[], at: number) => void): () => void {
    this.evictionListeners.add(listener)
    return () => this.evictionListeners.delete(listener)
  }

  async load(namespace: string, keys: string[]): Promise<void> {
    await this.request({ op: 'load', namespace, keys })
  }

  async watch(namespace: string, keys: string[]): Promise<void> {
    await this.request({ op: 'watch', namespace, keys })
  }

  /** Which of `keys` this process holds in its L1. */
  async inL1(namespace: string, keys: string[]): Promise<boolean[]> {
    return (await this.request({ op: 'l1', namespace, keys })).inL1 as boolean[]
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    await Promise.race([this.request({ op: 'close' }), new Promise((resolve) => setTimeout(resolve, 10_000))])
    if (this.child.exitCode === null) this.child.kill('SIGKILL')
    await exited
  }

  private request(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, (reply) => (typeof reply.error === 'string' ? reject(new Error(reply.error)) : resolve(reply)))
      this.child.send({ id, ...body })
    })
  }
}
