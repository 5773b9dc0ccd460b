import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { OwnedProcess, redisCommand, waitForRedisPing } from './owned-process.js'

export interface SentinelGroupOptions {
  /** Sentinel `down-after-milliseconds`. Default 1000. */
  downAfterMs?: number
  /** Sentinel `failover-timeout`. Default 3000. */
  failoverTimeoutMs?: number
}

/**
 * A throwaway Sentinel-managed Redis: a primary on `basePort`, its replica on `basePort+1` and three sentinels
 * (`redis-server --sentinel`, quorum 2) on `basePort+2`..`basePort+4`, monitoring it under `name`. Tests SIGKILL the
 * primary by the PID this helper spawned; the shared Sentinel group on 26379-26381 is never touched.
 */
export class SentinelGroupProcess {
  readonly primaryPort: number
  readonly replicaPort: number
  readonly sentinelPorts: number[]
  private readonly dir = mkdtempSync(join(tmpdir(), 'strata-sentinel-'))
  private readonly redis = new Map<number, OwnedProcess>()
  private readonly sentinelProcesses: OwnedProcess[] = []

  constructor(
    basePort: number,
    readonly name = 'strata-test-primary',
    options: SentinelGroupOptions = {},
  ) {
    this.primaryPort = basePort
    this.replicaPort = basePort + 1
    this.sentinelPorts = [basePort + 2, basePort + 3, basePort + 4]
    const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
    this.redis.set(this.primaryPort, new OwnedProcess('redis-server', ['--port', String(this.primaryPort), ...common, '--dir', this.dir, '--dbfilename', `p${this.primaryPort}.rdb`]))
    this.redis.set(
      this.replicaPort,
      new OwnedProcess('redis-server', ['--port', String(this.replicaPort), ...common, '--dir', this.dir, '--dbfilename', `p${this.replicaPort}.rdb`, '--replicaof', '127.0.0.1', String(this.primaryPort)]),
    )
    for (const port of this.sentinelPorts) {
      // Sentinel rewrites its config file as it learns the topology, so each gets its own writable file.
      const file = join(this.dir, `sentinel-${port}.conf`)
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${this.dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${this.primaryPort} 2`,
          `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 3000}`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      )
      this.sentinelProcesses.push(new OwnedProcess('redis-server', [file, '--sentinel']))
    }
  }

  /** Sentinel addresses for a client. */
  get sentinels(): { host: string; port: number }[] {
    return this.sentinelPorts.map((port) => ({ host: '127.0.0.1', port }))
  }

  /** Starts everything and waits until the sentinels know the replica and each other (a failover needs both). */
  async start(): Promise<void> {
    for (const process of this.redis.values()) process.start()
    for (const port of this.redis.keys()) await waitForRedisPing(port)
    for (const process of this.sentinelProcesses) process.start()
    for (const port of this.sentinelPorts) await waitForRedisPing(port, 'sentinel')
    const deadline = Date.now() + 30_000
    for (;;) {
      if (await this.ready()) return
      if (Date.now() > deadline) throw new Error(`Sentinel group '${this.name}' did not converge`)
      await sleep(200)
    }
  }

  /** The primary's port, as the sentinels report it. */
  async primary(): Promise<number> {
    for (const port of this.sentinelPorts) {
      const address = (await redisCommand(port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name)) as [string, string] | null | undefined
      if (address) return Number(address[1])
    }
    throw new Error('No sentinel answers')
  }

  pidOf(port: number): number | undefined {
    return this.redis.get(port)?.pid
  }

  /** SIGKILLs the current primary (by its PID); returns its port. */
  async killPrimary(): Promise<number> {
    const port = await this.primary()
    await this.redis.get(port)!.kill()
    return port
  }

  /** Resolves once the sentinels name a running primary other than `formerPort` and it accepts writes. */
  async waitForFailover(formerPort: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const port = await this.primary().catch(() => formerPort)
      if (port !== formerPort) {
        const role = (await redisCommand(port, 'ROLE')) as [string] | undefined
        if (role?.[0] === 'master') return port
      }
      if (Date.now() > deadline) throw new Error(`No failover away from ${formerPort} within ${timeoutMs} ms`)
      await sleep(100)
    }
  }

  async dispose(): Promise<void> {
    for (const process of this.sentinelProcesses) await process.kill()
    for (const process of this.redis.values()) await process.kill()
    rmSync(this.dir, { recursive: true, force: true })
  }

  private async ready(): Promise<boolean> {
    for (const port of this.sentinelPorts) {
      const replicas = (await redisCommand(port, 'SENTINEL', 'REPLICAS', this.name)) as unknown[] | undefined
      const sentinels = (await redisCommand(port, 'SENTINEL', 'SENTINELS', this.name)) as unknown[] | undefined
      if (replicas?.length !== 1 || sentinels?.length !== this.sentinelPorts.length - 1) return false
    }
    const link = (await redisCommand(this.replicaPort, 'INFO', 'replication')) as string | undefined
    return link?.includes('master_link_status:up') === true
  }
}
