import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { startGatewayMain, waitForWorkers } from './lib/gateway-main.js'
import { compareLoad, startChild, stopChild } from './lib/http-load.js'
import { cpuMs } from './lib/process-cpu.js'
import { printReport, round } from './lib/report.js'

// `pnpm bench proxy`: a cached 1 KiB and a 64 KiB response through the gateway's proxy, Varnish and nginx
// proxy_cache, all fronting one origin, in one run, alternating. The gateway is its production entry (main.ts: auth
// off, L2 on the loopback Redis, logs at warn) twice: one process (`strata`) and one worker per core
// (`strata-workers`, STRATA_GATEWAY_WORKERS=auto); the proxied answers are L1 hits either way. Varnish and nginx are
// Debian packages (installed with apt-get when missing) started here on loopback as child processes and stopped by
// PID. Target (issue 21): ≥ 0.8× Varnish at 1 KiB and 64 KiB with the gateway on all cores.
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8)
const durationS = Number(process.env.BENCH_SECONDS ?? 5)
const rounds = Number(process.env.BENCH_ROUNDS ?? 2)
const workers = availableParallelism()
const redisUrl = process.env.STRATA_REDIS_URL ?? 'redis://127.0.0.1:6379'
const here = fileURLToPath(new URL('.', import.meta.url))

function ensurePackage(binary: string, pkg: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin']) {
    try {
      execFileSync('test', ['-x', join(dir, binary)])
      return join(dir, binary)
    } catch {
      // not here
    }
  }
  console.error(`${binary} missing: apt-get install -y ${pkg}`)
  execFileSync('apt-get', ['install', '-y', pkg], { stdio: 'inherit' })
  return `/usr/sbin/${binary}`
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

async function waitFor(url: string): Promise<void> {
  let lastError = ''
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(url)
      await res.arrayBuffer()
      if (res.ok) return
      lastError = `status ${res.status}`
    } catch (error) {
      lastError = String((error as Error).cause ?? error)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${url} did not answer: ${lastError}`)
}

const varnishd = ensurePackage('varnishd', 'varnish')
const nginx = ensurePackage('nginx', 'nginx')
const dir = mkdtempSync(join(tmpdir(), 'strata-bench-proxy-'))
const children: ChildProcess[] = []
try {
  // Compiling the gateway with tsx takes over 30 s on a loaded shared machine.
  const server = await startChild(process.execPath, ['--import', 'tsx', join(here, 'lib/gateway-bench-server.ts'), 'origin'], /READY (\{.*\})/, 180_000)
  children.push(server.child)
  const ports = JSON.parse(server.match[1]!) as { origin: number }
  const strataPorts = { single: await freePort(), workers: await freePort() }
  const upstreams = { STRATA_GATEWAY_UPSTREAMS: JSON.stringify({ origin: { url: `http://127.0.0.1:${ports.origin}` } }) }
  const single = startGatewayMain({ workers: 1, port: strataPorts.single, redisUrl, env: upstreams })
  const multi = startGatewayMain({ workers, port: strataPorts.workers, redisUrl, env: upstreams })
  children.push(single, multi)
  // Compiling the gateway with tsx takes over 30 s on a loaded shared machine; every worker must answer.
  await waitForWorkers(`http://127.0.0.1:${strataPorts.single}/health/ready`, 1)
  await waitForWorkers(`http://127.0.0.1:${strataPorts.workers}/health/ready`, workers)

  const varnishPort = await freePort()
  writeFileSync(join(dir, 'varnish.vcl'), readFileSync(join(here, 'proxy/varnish.vcl.template'), 'utf8').replaceAll('@ORIGIN_PORT@', String(ports.origin)))
  const varnish = await startChild(
    varnishd,
    ['-F', '-j', 'none', '-n', join(dir, 'varnish'), '-a', `127.0.0.1:${varnishPort}`, '-f', join(dir, 'varnish.vcl'), '-s', 'malloc,256m', '-T', 'none'],
    /Child \(\d+\) Started|Child launched OK/i,
  )
  children.push(varnish.child)

  const nginxPort = await freePort()
  const nginxConf = readFileSync(join(here, 'proxy/nginx.conf.template'), 'utf8')
    .replaceAll('@DIR@', dir)
    .replaceAll('@ORIGIN_PORT@', String(ports.origin))
    .replaceAll('@PORT@', String(nginxPort))
  writeFileSync(join(dir, 'nginx.conf'), nginxConf)
  // nginx in the foreground prints nothing when it starts; readiness is checked by requests below.
  const nginxChild = spawn(nginx, ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', join(dir, 'error.log')], { stdio: 'ignore' })
  children.push(nginxChild)

  const bases = {
    strata: `http://127.0.0.1:${strataPorts.single}/proxy/origin`,
    'strata-workers': `http://127.0.0.1:${strataPorts.workers}/proxy/origin`,
    varnish: `http://127.0.0.1:${varnishPort}`, nginx: `http://127.0.0.1:${nginxPort}` }
  for (const base of Object.values(bases)) {
    await waitFor(`${base}/1k`)
    await waitFor(`${base}/64k`)
  }
  // Every contender must really serve from its cache, or the comparison means nothing.
  const hitChecks: [string, string, (headers: Headers) => boolean][] = [
    ['strata', `${bases.strata}/64k`, (h) => h.get('x-cache') === 'HIT' && (h.get('cache-status') ?? '').startsWith('Strata; hit')],
    ['strata-workers', `${bases['strata-workers']}/64k`, (h) => h.get('x-cache') === 'HIT' && (h.get('cache-status') ?? '').startsWith('Strata; hit')],
    ['varnish', `${bases.varnish}/64k`, (h) => (h.get('x-varnish') ?? '').trim().split(/\s+/).length === 2],
    ['nginx', `${bases.nginx}/64k`, (h) => h.get('x-cache') === 'HIT'],
  ]
  for (const [name, url, isHit] of hitChecks) {
    const res = await fetch(url)
    await res.arrayBuffer()
    if (!isHit(res.headers)) throw new Error(`${name} did not serve ${url} from its cache`)
  }

  // CPU (user + system) each contender's processes spent per request, children included (cluster workers, Varnish's
  // cache child, nginx's worker): on 2 cores shared with the load generator, req/s says who got the cores, this says
  // what a request costs.
  const serving = (pid: number | undefined) => () => cpuMs(pid === undefined ? [] : [pid])
  const cpu: Record<string, () => number> = { strata: serving(single.pid), 'strata-workers': serving(multi.pid), varnish: serving(varnish.child.pid), nginx: serving(nginxChild.pid) }
  const cpuUs: Record<string, number | undefined> = {}
  const results: Record<string, number> = {}
  const ratios: Record<string, number> = {}
  const table: Record<string, string | number>[] = []
  const p99: Record<string, number> = {}
  for (const size of ['1k', '64k']) {
    const measured = await compareLoad(
      Object.fromEntries(Object.entries(bases).map(([name, base]) => [name, `${base}/${size}`])),
      { connections, durationS, rounds, warmupS: 2, cpu },
    )
    for (const [name, r] of Object.entries(measured)) {
      results[`${name}-${size}`] = r.rps
      p99[`${name}-${size}`] = r.p99Ms
      cpuUs[`${name}-${size}`] = r.cpuUsPerRequest
      table.push({ size, contender: name, 'req/s': r.rps, 'p99 ms': r.p99Ms, 'CPU µs/req': r.cpuUsPerRequest ?? '', errors: r.errors })
    }
    for (const strata of ['strata', 'strata-workers']) {
      ratios[`${strata}/varnish-${size}`] = round(measured[strata]!.rps / measured.varnish!.rps)
      ratios[`${strata}/nginx-${size}`] = round(measured[strata]!.rps / measured.nginx!.rps)
    }
  }
  printReport({
    bench: 'proxy',
    metric: 'cached response throughput',
    unit: 'req/s',
    higherIsBetter: true,
    results,
    ratios,
    table,
    env: { connections, durationS, rounds, p99Ms: p99, cpuUsPerRequest: cpuUs, strataWorkers: workers, nginxWorkers: 1, target: 'strata-workers/varnish >= 0.8 at 1k and 64k' },
  })
} finally {
  for (const child of children.reverse()) await stopChild(child)
  rmSync(dir, { recursive: true, force: true })
}
