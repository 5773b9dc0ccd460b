import { fileURLToPath } from 'node:url'
import { NginxProcess, freePort } from '@strata/testkit'
import { compareLoad, startChild, startChildren, stopChild } from './lib/http-load.js'
import { pacedLoad } from './lib/paced-load.js'
import { cpuMs } from './lib/process-cpu.js'
import { median, printReport, round } from './lib/report.js'

// `pnpm bench scale`: L1-hit GETs through nginx (the shipped infra/nginx/gateway.conf) in front of 1, 2 and 4 gateway
// processes (main.ts, auth on, sharing Redis as L2), in one run, alternating.
// Two measures:
// - CPU per request (the headline): a fixed request rate, well under what one process serves, evenly spaced
//   (lib/paced-load.ts: autocannon's rate is a per-second burst), for each fleet size; user + system CPU of the
//   gateway processes (and, apart, of nginx) from /proc, divided by the requests served.
//   Scaling is linear when that cost stays flat as processes are added: this is what a 2-core machine shared with
//   nginx and the load generator can show.
// - Throughput at saturation, for the record: on 2 shared cores it cannot show scaling (more processes only share
//   the same cores), so efficiency = rps(2) / (2 × rps(1)) stays well under 1 here whatever the code does.
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16)
const durationS = Number(process.env.BENCH_SECONDS ?? 5)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const rate = Number(process.env.BENCH_RATE ?? 1500)
const redisUrl = process.env.STRATA_REDIS_URL ?? 'redis://127.0.0.1:6379'
const namespace = `bench-scale-${Date.now().toString(36)}`
const main = fileURLToPath(new URL('../services/gateway/src/main.ts', import.meta.url))
const config = fileURLToPath(new URL('../infra/nginx/gateway.conf', import.meta.url))
const FLEETS = [1, 2, 4] as const

const ADMIN_KEY = `sk_benchscale01_${'A'.repeat(43)}`
const env = {
  STRATA_GATEWAY_HOST: '127.0.0.1',
  STRATA_GATEWAY_PORT: '0',
  STRATA_LOG_LEVEL: 'info',
  STRATA_L2: 'redis',
  STRATA_REDIS_URL: redisUrl,
  STRATA_GATEWAY_QUEUE: 'memory',
  STRATA_GATEWAY_DRAIN_DELAY_MS: '0',
  // Auth on, as deployed: keys in memory, a rate limit far above the load.
  STRATA_GATEWAY_KEY_STORE: 'memory',
  STRATA_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
  STRATA_RATE_LIMIT: '100000000/100000000',
  STRATA_GATEWAY_NAMESPACES: JSON.stringify({ [namespace]: { ttl: 3_600_000 } }),
}
console.error(
  `bench scale: 4 gateway processes, nginx in front of 1, 2 and 4 of them; ${rounds} rounds of ${durationS} s at ${rate} req/s (CPU per request), ` +
    `then ${rounds} rounds of ${durationS} s at saturation (throughput): about ${Math.round((FLEETS.length * rounds * durationS * 2 + FLEETS.length * 2 + 20) / 60)} min`,
)
const gateways = await startChildren(4, () => startChild(process.execPath, ['--import', 'tsx', main], /Server listening at http:\/\/127\.0\.0\.1:(\d+)/, 180_000, env))
const ports = gateways.map(({ match }) => Number(match[1]))
const fleets = await Promise.all(
  FLEETS.map(async (size) => ({ size, name: `${size}-gateway${size === 1 ? '' : 's'}`, nginx: new NginxProcess(await freePort(), ports.slice(0, size), config) })),
)
try {
  for (const fleet of fleets) await fleet.nginx.start()
  const path = `/v1/namespaces/${namespace}/keys/hot`
  const headers = { authorization: `Bearer ${ADMIN_KEY}` }
  const put = await fetch(`http://127.0.0.1:${ports[0]}${path}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ value: { id: 42, name: 'Product 42', price: 19.5, description: 'x'.repeat(120) } }),
  })
  if (put.status !== 200) throw new Error(`seeding the key failed: ${put.status}`)
  // Every instance reads it into its L1 before measuring (L2 is shared Redis).
  for (const port of ports) await (await fetch(`http://127.0.0.1:${port}${path}`, { headers })).arrayBuffer()

  const gatewayPids = gateways.map(({ child }) => child.pid!)
  const cost = new Map<string, { gatewayUs: number[]; nginxUs: number[]; errors: number; late: number; requests: number; samples: string[] }>(
    fleets.map((f) => [f.name, { gatewayUs: [], nginxUs: [], errors: 0, late: 0, requests: 0, samples: [] }]),
  )
  for (const fleet of fleets) await pacedLoad(`${fleet.nginx.url}${path}`, { rate, durationS: 2, connections, headers })
  for (let r = 0; r < rounds; r++) {
    for (const fleet of r % 2 === 0 ? fleets : [...fleets].reverse()) {
      const pids = gatewayPids.slice(0, fleet.size)
      const nginxPid = [fleet.nginx.pid!]
      const [gatewayBefore, nginxBefore] = [cpuMs(pids), cpuMs(nginxPid)]
      const result = await pacedLoad(`${fleet.nginx.url}${path}`, { rate, durationS, connections, headers })
      const [gatewayAfter, nginxAfter] = [cpuMs(pids), cpuMs(nginxPid)]
      const served = result.requests
      const entry = cost.get(fleet.name)!
      entry.gatewayUs.push(((gatewayAfter - gatewayBefore) * 1000) / served)
      entry.nginxUs.push(((nginxAfter - nginxBefore) * 1000) / served)
      entry.errors += result.errors
      entry.late += result.late
      entry.samples.push(...result.errorSamples)
      entry.requests += served
      console.error(`  round ${r + 1}/${rounds} ${fleet.name}: ${served} requests, gateway CPU ${round(entry.gatewayUs.at(-1)!, 1)} µs/req`)
    }
  }
  console.error('  throughput at saturation...')
  const throughput = await compareLoad(Object.fromEntries(fleets.map((f) => [f.name, `${f.nginx.url}${path}`])), { connections, durationS, rounds, warmupS: 2, headers })

  const perRequest = Object.fromEntries(fleets.map((f) => [f.name, round(median(cost.get(f.name)!.gatewayUs), 1)]))
  const one = perRequest['1-gateway']!
  const errors = [...cost.values()].reduce((sum, c) => sum + c.errors, 0) + Object.values(throughput).reduce((sum, t) => sum + t.errors, 0)
  printReport({
    bench: 'scale',
    metric: `gateway CPU (user + system) per L1-hit GET behind nginx at ${rate} req/s, 1, 2 and 4 processes`,
    unit: 'µs/request',
    higherIsBetter: false,
    results: perRequest,
    ratios: { '2-gateways/1-gateway': round(perRequest['2-gateways']! / one), '4-gateways/1-gateway': round(perRequest['4-gateways']! / one) },
    table: fleets.map((f) => {
      const c = cost.get(f.name)!
      const t = throughput[f.name]!
      return {
        fleet: f.name,
        'gateway CPU µs/req': perRequest[f.name],
        'nginx CPU µs/req': round(median(c.nginxUs), 1),
        'requests at fixed rate': c.requests,
        'saturation req/s': t.rps,
        'saturation p99 ms': t.p99Ms,
        errors: c.errors + t.errors,
        'late (not sent on time)': c.late,
      }
    }),
    env: {
      connections,
      durationS,
      rounds,
      rate,
      errors,
      errorSamples: [...[...cost.values()].flatMap((c) => c.samples), ...Object.values(throughput).flatMap((t) => (t.errorKinds === undefined ? [] : [t.errorKinds]))].slice(0, 5),
      throughputEfficiency2: round(throughput['2-gateways']!.rps / (2 * throughput['1-gateway']!.rps)),
      nginxWorkers: 1,
      note: 'CPU per request flat as processes are added = linear scaling; saturation throughput on 2 shared cores cannot show it',
    },
  })
} finally {
  for (const fleet of fleets) await fleet.nginx.dispose()
  for (const { child } of gateways) await stopChild(child)
}
