import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { requireTcp } from './servers.js'

/**
 * nginx in the foreground on a loopback port of the test's own, running the project's shipped load-balancer config
 * (infra/nginx/gateway.conf) with its upstream servers and listen port replaced: the tests exercise the config users
 * get. Only the process this helper spawned is ever signalled.
 */
export class NginxProcess {
  private child: ChildProcess | undefined
  private readonly dir = mkdtempSync(join(tmpdir(), 'strata-nginx-'))

  constructor(
    readonly port: number,
    private readonly upstreamPorts: readonly number[],
    private readonly configFile: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** The nginx master's PID while it runs (its worker is its child): for benchmarks that read CPU time from /proc. */
  get pid(): number | undefined {
    return this.child?.pid
  }

  async start(): Promise<void> {
    const shipped = readFileSync(this.configFile, 'utf8')
    const servers = this.upstreamPorts.map((port) => `    server 127.0.0.1:${port} max_fails=2 fail_timeout=5s;`).join('\n')
    const body = shipped
      .replace(/^\s*server 127\.0\.0\.1:\d+[^\n]*\n/gm, '')
      .replace(/upstream strata_gateways \{\n/, `upstream strata_gateways {\n${servers}\n`)
      .replace(/listen \d+;/, `listen 127.0.0.1:${this.port};`)
    const d = this.dir
    writeFileSync(
      join(d, 'nginx.conf'),
      `daemon off;\nuser root;\nworker_processes 1;\npid ${d}/nginx.pid;\nerror_log ${d}/error.log warn;\nevents { worker_connections 1024; }\n` +
        `http {\n  access_log off;\n  client_body_temp_path ${d}/client_body;\n  proxy_temp_path ${d}/proxy_temp;\n  fastcgi_temp_path ${d}/fastcgi;\n` +
        `  uwsgi_temp_path ${d}/uwsgi;\n  scgi_temp_path ${d}/scgi;\n${body}\n}\n`,
    )
    this.child = spawn('nginx', ['-c', join(d, 'nginx.conf'), '-p', d, '-e', join(d, 'error.log')], { stdio: 'ignore' })
    const deadline = Date.now() + 10_000
    for (;;) {
      try {
        await requireTcp('nginx', { host: '127.0.0.1', port: this.port }, 1000)
        return
      } catch (error) {
        if (Date.now() > deadline || this.child.exitCode !== null) {
          throw new Error(`nginx did not start on ${this.port}: ${String(error)}\n${readFileSync(join(d, 'error.log'), 'utf8')}`)
        }
        await sleep(100)
      }
    }
  }

  async stop(): Promise<void> {
    const child = this.child
    this.child = undefined
    if (child === undefined || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }

  async dispose(): Promise<void> {
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }
}
