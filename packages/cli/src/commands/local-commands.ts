import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Command } from 'commander'
import { CliFailure, EXIT, type CliIo } from '../cli-io.js'
import { repoRoot } from '../repo-root.js'
import { runChild } from '../run-child.js'

/** `start`, `infra up|down|status` and `bench <name>`: the platform and its tools on this machine. */
export function localCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('start')
    .option('-p, --port <port>', 'gateway port (default $PORT or 8080)')
    .option('--origin-port <port>', 'demo origin port (default $STRATA_DEMO_ORIGIN_PORT or 4001)')
    .option('--alerting-port <port>', 'in-process alerting service port (default $STRATA_ALERTING_PORT or 8095)')
    .option('--analytics-port <port>', 'in-process analytics service port (default $STRATA_ANALYTICS_PORT or 8094)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .description('run the whole platform (services/platform) on the embedded default: in-process store, bus and queue')
    .action(async (options: { port?: string; originPort?: string; alertingPort?: string; analyticsPort?: string; host: string }) => {
      const port = portOf(options.port ?? io.env.PORT, 8080, '--port')
      const originPort = portOf(options.originPort ?? io.env.STRATA_DEMO_ORIGIN_PORT, 4001, '--origin-port')
      const alertingPort = portOf(options.alertingPort ?? io.env.STRATA_ALERTING_PORT, 8095, '--alerting-port')
      const analyticsPort = portOf(options.analyticsPort ?? io.env.STRATA_ANALYTICS_PORT, 8094, '--analytics-port')
      // The platform composes services, which a package never imports: it runs as its own process (what `pnpm start`
      // runs), its banner and logs relayed here.
      const root = repoRoot()
      const tsx = createRequire(import.meta.url).resolve('tsx/cli')
      const args = [tsx, join(root, 'services', 'platform', 'src', 'main.ts'), '--port', String(port), '--origin-port', String(originPort), '--alerting-port', String(alertingPort), '--analytics-port', String(analyticsPort), '--host', options.host]
      // Its own process group: a terminal's Ctrl-C reaches only the CLI, which then stops the platform once (SIGTERM).
      const child = spawn(process.execPath, args, { cwd: root, env: io.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
      const orphanGuard = () => child.kill('SIGKILL')
      process.once('exit', orphanGuard)
      child.stdout.setEncoding('utf8').on('data', (text: string) => io.out(text))
      child.stderr.setEncoding('utf8').on('data', (text: string) => io.err(text))
      const exited = new Promise<number>((resolve, reject) => {
        child.once('error', reject)
        child.once('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)))
      })
      const stopped = await Promise.race([exited.then((code) => ({ code })), (io.untilStopped ?? untilSignal)().then(() => undefined)])
      if (stopped !== undefined) {
        // The platform stopped by itself (a port in use, a bad flag): its own message was relayed above.
        process.off('exit', orphanGuard)
        setExit(stopped.code === 0 ? EXIT.failed : stopped.code)
        return
      }
      io.out('stopping\n')
      child.kill('SIGTERM')
      const code = await exited
      process.off('exit', orphanGuard)
      if (code !== 0) setExit(code)
    })

  program
    .command('infra')
    .argument('<action>', 'up | down | status')
    .description('the real servers on loopback (Redis, Cluster, Sentinel, Memcached, Kafka, PostgreSQL, Zipkin) via infra/local')
    .action(async (action: string) => {
      if (!['up', 'down', 'status'].includes(action)) throw new CliFailure(`infra: unknown action '${action}' (up, down or status)`, EXIT.usage)
      const dir = io.env.STRATA_INFRA_DIR ?? join(repoRoot(), 'infra', 'local')
      setExit(await runChild('bash', [join(dir, `${action}.sh`)], io, repoRoot()))
    })

  program
    .command('bench')
    .argument('<name>', 'core, hit-ratio, l1, stampede, gateway, proxy, invalidation, write-behind, ...')
    .argument('[args...]', 'passed to the benchmark (e.g. --quick)')
    .allowUnknownOption()
    .description('run one benchmark side by side with its peers (prints the BENCH line last)')
    .action(async (name: string, args: string[]) => {
      const root = repoRoot()
      const tsx = createRequire(import.meta.url).resolve('tsx/cli')
      setExit(await runChild(process.execPath, [tsx, join(root, 'bench', 'run.ts'), name, ...args], io, root))
    })
}

function portOf(raw: string | undefined, fallback: number, option: string): number {
  if (raw === undefined || raw === '') return fallback
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new CliFailure(`${option} must be a port number, got '${raw}'`, EXIT.usage)
  return port
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })
}
