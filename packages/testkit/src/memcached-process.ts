import { connect } from 'node:net'
import { userInfo } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { OwnedProcess } from './owned-process.js'

export interface MemcachedProcessOptions {
  /** Largest item (`-I`). Default 2m, enough for the L2 contract suite's 1 MiB value. */
  itemSizeMax?: string
  /** Memory, MiB (`-m`). Default 64. */
  memoryMb?: number
}

/**
 * A throwaway memcached on a loopback port, owned by one test so it can be SIGKILLed (a lost cache node) and started
 * again empty. Only the process this helper spawned is ever signalled; the shared 11211/11212 are never touched.
 */
export class MemcachedProcess {
  private readonly process: OwnedProcess

  constructor(
    readonly port: number,
    options: MemcachedProcessOptions = {},
  ) {
    this.process = new OwnedProcess('memcached', ['-p', String(port), '-l', '127.0.0.1', '-U', '0', '-m', String(options.memoryMb ?? 64), '-I', options.itemSizeMax ?? '2m', '-t', '1', ...asUser()])
  }

  get address(): string {
    return `127.0.0.1:${this.port}`
  }

  get pid(): number | undefined {
    return this.process.pid
  }

  async start(): Promise<void> {
    this.process.start()
    for (let attempt = 0; attempt < 200; attempt++) {
      if (await answersVersion(this.port)) return
      await sleep(50)
    }
    throw new Error(`memcached did not start on port ${this.port}`)
  }

  /** SIGKILL, as a crashed node: everything it held is gone. */
  kill(): Promise<void> {
    return this.process.kill()
  }

  dispose(): Promise<void> {
    return this.process.kill()
  }
}

function answersVersion(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('version\r\n'))
    socket.once('data', (data) => done(data.toString().startsWith('VERSION')))
  })
}

/** memcached refuses to run as root without `-u`; a test run as root keeps root rather than needing another user. */
function asUser(): string[] {
  return process.getuid?.() === 0 ? ['-u', userInfo().username] : []
}
