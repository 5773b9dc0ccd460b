import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { OwnedProcess, redisCommand, waitForRedisPing } from './owned-process.js'

const run = promisify(execFile)

export interface RedisClusterProcessOptions {
  /** How long a primary may be unreachable before the others mark it failed and its replica takes over. Default 2000. */
  nodeTimeoutMs?: number
}

export interface ClusterNodeInfo {
  port: number
  /** This node's id in the cluster. */
  id: string
  role: 'primary' | 'replica'
}

/**
 * A throwaway Redis Cluster of 6 redis-server processes (3 primaries, 3 replicas) on ports `basePort`..`basePort+5`,
 * built with `redis-cli --cluster create --cluster-replicas 1`. Tests kill a primary (SIGKILL, by the PID this helper
 * spawned) and watch its replica take over; the shared cluster on 7000-7005 is never touched.
 */
export class RedisClusterProcess {
  readonly ports: number[]
  private readonly dir = mkdtempSync(join(tmpdir(), 'strata-cluster-'))
  private readonly processes = new Map<number, OwnedProcess>()

  constructor(
    basePort: number,
    private readonly options: RedisClusterProcessOptions = {},
  ) {
    this.ports = Array.from({ length: 6 }, (_, i) => basePort + i)
    for (const port of this.ports) {
      const dir = join(this.dir, String(port))
      mkdirSync(dir)
      this.processes.set(
        port,
        new OwnedProcess('redis-server', [
          '--port', String(port),
          '--bind', '127.0.0.1',
          '--cluster-enabled', 'yes',
          '--cluster-config-file', join(dir, 'nodes.conf'),
          '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2000),
          '--save', '',
          '--appendonly', 'no',
          '--dir', dir,
        ]),
      )
    }
  }

  /** Seed nodes for a cluster client. */
  get nodes(): { host: string; port: number }[] {
    return this.ports.map((port) => ({ host: '127.0.0.1', port }))
  }

  async start(): Promise<void> {
    for (const process of this.processes.values()) process.start()
    for (const port of this.ports) await waitForRedisPing(port)
    await run('redis-cli', ['--cluster', 'create', ...this.ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '1', '--cluster-yes'], {
      timeout: 30_000,
    })
    await this.waitHealthy(30_000)
    // A replica that has not finished its first sync cannot take over (its data is too old): wait for all three.
    const deadline = Date.now() + 30_000
    while (!(await this.replicasInSync())) {
      if (Date.now() > deadline) throw new Error('Redis Cluster replicas did not sync within 30000 ms')
      await sleep(100)
    }
  }

  private async replicasInSync(): Promise<boolean> {
    let synced = 0
    for (const port of this.ports) {
      const info = (await redisCommand(port, 'INFO', 'replication')) as string | undefined
      if (info?.includes('role:slave') === true && info.includes('master_link_status:up')) synced++
    }
    return synced === 3
  }

  /** Resolves once every running node reports cluster_state:ok and every slot has a primary that is running. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (await this.healthy()) return
      if (Date.now() > deadline) throw new Error(`Redis Cluster on ${this.ports.join(',')} not healthy within ${timeoutMs} ms`)
      await sleep(100)
    }
  }

  /** The port of the primary serving `slot`, as a running node sees it. */
  async primaryForSlot(slot: number): Promise<number> {
    for (const port of this.runningPorts()) {
      const slots = (await redisCommand(port, 'CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][] | undefined
      if (slots === undefined) continue
      for (const [from, to, primary] of slots) if (slot >= from && slot <= to) return primary[1]
    }
    throw new Error(`No running node knows slot ${slot}`)
  }

  /** Every node, as a running node sees the cluster. */
  async topology(): Promise<ClusterNodeInfo[]> {
    for (const port of this.runningPorts()) {
      const text = (await redisCommand(port, 'CLUSTER', 'NODES')) as string | undefined
      if (text === undefined) continue
      return text
        .trim()
        .split('\n')
        .map((line) => {
          const [id = '', address = '', flags = ''] = line.split(' ')
          return { id, port: Number(address.split('@')[0]!.split(':')[1]), role: flags.includes('master') ? ('primary' as const) : ('replica' as const) }
        })
    }
    throw new Error('No running cluster node answers')
  }

  pidOf(port: number): number | undefined {
    return this.processes.get(port)?.pid
  }

  /** SIGKILLs one node (by its PID): a crash, no failover handshake. */
  async kill(port: number): Promise<void> {
    const process = this.processes.get(port)
    if (process === undefined) throw new Error(`Port ${port} is not a node of this cluster`)
    await process.kill()
  }

  /** SIGKILLs the primary serving `slot`; returns its port. */
  async killPrimaryOf(slot: number): Promise<number> {
    const port = await this.primaryForSlot(slot)
    await this.kill(port)
    return port
  }

  async dispose(): Promise<void> {
    for (const process of this.processes.values()) await process.kill()
    rmSync(this.dir, { recursive: true, force: true })
  }

  private runningPorts(): number[] {
    return this.ports.filter((port) => this.processes.get(port)?.running === true)
  }

  private async healthy(): Promise<boolean> {
    const running = this.runningPorts()
    for (const port of running) {
      const info = (await redisCommand(port, 'CLUSTER', 'INFO')) as string | undefined
      if (info?.includes('cluster_state:ok') !== true) return false
    }
    for (const port of running) {
      const slots = (await redisCommand(port, 'CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][] | undefined
      if (slots === undefined) return false
      const covered = slots.reduce((sum, [from, to]) => sum + (to - from + 1), 0)
      if (covered !== 16384 || slots.some(([, , primary]) => !running.includes(primary[1]))) return false
    }
    return true
  }
}
