import { execFileSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startChild } from './http-load.js'

/** A pgpool-II process of our own (Debian package pgpool2) with its in-memory query cache in shared memory. */
export interface PgpoolInstance {
  port: number
  child: ChildProcess
  dir: string
}

const here = fileURLToPath(new URL('.', import.meta.url))

/** Installs pgpool2 with the infra scripts' apt_install when the binary is missing. */
export function ensurePgpool(): string {
  const binary = '/usr/sbin/pgpool'
  if (existsSync(binary)) return binary
  console.error('pgpool missing: installing the Debian package pgpool2')
  execFileSync('bash', ['-c', `source "${join(here, '../../infra/local/lib.sh')}" && apt_install pgpool2`], { stdio: 'inherit' })
  return binary
}

/**
 * Starts pgpool-II in raw mode in front of one PostgreSQL, in the foreground (-n) so it is our child and stops by PID.
 * Auto-invalidation is on: a write through pgpool drops the cached results of the tables it changes, as Strata does.
 */
export async function startPgpool(options: { port: number; pcpPort: number; backendHost: string; backendPort: number; children: number }): Promise<PgpoolInstance> {
  const binary = ensurePgpool()
  const dir = mkdtempSync(join(tmpdir(), 'strata-pgpool-'))
  mkdirSync(join(dir, 'oiddir'))
  const conf = `
backend_clustering_mode = 'raw'
listen_addresses = '127.0.0.1'
port = ${options.port}
unix_socket_directories = '${dir}'
pcp_listen_addresses = ''
pcp_port = ${options.pcpPort}
pcp_socket_dir = '${dir}'
backend_hostname0 = '${options.backendHost}'
backend_port0 = ${options.backendPort}
backend_weight0 = 1
backend_flag0 = 'ALWAYS_PRIMARY|DISALLOW_TO_FAILOVER'
enable_pool_hba = off
num_init_children = ${options.children}
max_pool = 1
pid_file_name = '${dir}/pgpool.pid'
logdir = '${dir}'
health_check_period = 0
sr_check_period = 0
failover_on_backend_error = off
load_balance_mode = off
enable_shared_relcache = off
memory_cache_enabled = on
memqcache_method = 'shmem'
memqcache_total_size = 256MB
memqcache_max_num_cache = 500000
memqcache_expire = 0
memqcache_auto_cache_invalidation = on
memqcache_maxcache = 409600
memqcache_cache_block_size = 1MB
memqcache_oiddir = '${dir}/oiddir'
`
  writeFileSync(join(dir, 'pgpool.conf'), conf)
  writeFileSync(join(dir, 'pcp.conf'), '')
  const { child } = await startChild(binary, ['-n', '-f', join(dir, 'pgpool.conf'), '-F', join(dir, 'pcp.conf')], /successfully started/)
  return { port: options.port, child, dir }
}

/** Fast shutdown (SIGINT: pgpool ends its children and their connections), then the temp directory goes. */
export async function stopPgpool(instance: PgpoolInstance): Promise<void> {
  const { child } = instance
  if (child.exitCode === null && child.pid !== undefined) {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.removeAllListeners('exit')
    child.once('exit', () => undefined)
    process.kill(child.pid, 'SIGINT')
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))])
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL')
  }
  rmSync(instance.dir, { recursive: true, force: true })
}
