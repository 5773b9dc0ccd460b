import { fileURLToPath } from 'node:url'
import { NginxProcess } from '@strata/testkit'
import { compareLoad, startChild, stopChild } from './lib/http-load.js'
import { printReport, round } from './lib/report.js'

// `pnpm bench scale`: L1-hit GET throughput through nginx (the shipped infra/nginx/gateway.conf) in front of one
// gateway process, and in front of two, in one run, alternating. `results.efficiency` = rps with 2 / (2 × rps with 1):
// 1.0 is linear scaling. The gateways are main.ts processes sharing Redis as L2. Every process of the run (autocannon,
// nginx, the gateways, Redis) shares this machine's cores, which bounds what a second gateway can add here.
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16)
const durationS = Number(process.env.BENCH_SECONDS ?? 5)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const redisUrl = process.env.STRATA_REDIS_URL ?? 'redis://127.0.0.1:6379'
const namespace = `bench-scale-${Date.now().toString(36)}`
const main = fileURLToPath(new URL('../services/gateway/src/main.ts', import.meta.url))
const config = fileURLToPath(new URL('../infra/nginx/gateway.conf', import.meta.url))

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
const gateways = await Promise.all(
  [0, 1].map(() => startChild(process.execPath, ['--import', 'tsx', main], /Server listening at http:\/\/127\.0\.0\.1:(\d+)/, 60_000, env)),
)
const ports = gateways.map(({ match }) => Number(match[1]))
const one = new NginxProcess(19_800 + Math.floor(Math.random() * 50), ports.slice(0, 1), config)
const two = new NginxProcess(19_850 + Math.floor(Math.random() * 50), ports, config)
try {
  await one.start()
  await two.start()
  const path = `/v1/namespaces/${namespace}/keys/hot`
  const put = await fetch(`http://127.0.0.1:${ports[0]}${path}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ value: { id: 42, name: 'Product 42', price: 19.5, description: 'x'.repeat(120) } }),
  })
  if (put.status !== 200) throw new Error(`seeding the key failed: ${put.status}`)
  // Both instances read it into their L1 before measuring (L2 is shared Redis).
  for (const port of ports) await (await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).arrayBuffer()

  const results = await compareLoad({ '1-gateway': `${one.url}${path}`, '2-gateways': `${two.url}${path}` }, { connections, durationS, rounds, warmupS: 2, headers: { authorization: `Bearer ${ADMIN_KEY}` } })
  const single = results['1-gateway']!
  const double = results['2-gateways']!
  const efficiency = round(double.rps / (2 * single.rps))
  printReport({
    bench: 'scale',
    metric: 'gateway L1-hit GET throughput behind nginx, 1 vs 2 processes',
    unit: 'req/s',
    higherIsBetter: true,
    results: { efficiency, '1-gateway': single.rps, '2-gateways': double.rps },
    table: Object.entries(results).map(([name, r]) => ({ contender: name, 'req/s': r.rps, 'p99 ms': r.p99Ms, errors: r.errors })),
    ratios: { '2-gateways/1-gateway': round(double.rps / single.rps) },
    env: { connections, durationS, rounds, nginxWorkers: 1, note: 'efficiency = rps(2) / (2 × rps(1)); all processes share the machine' },
  })
} finally {
  await one.dispose()
  await two.dispose()
  for (const { child } of gateways) await stopChild(child)
}
