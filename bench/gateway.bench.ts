import { fileURLToPath } from 'node:url'
import { compareLoad, startChild, stopChild } from './lib/http-load.js'
import { printReport, round } from './lib/report.js'

// `pnpm bench gateway`: L1-hit GET through the whole gateway (routing, schema, namespace lookup, engine get +
// metadata, headers, metrics hook) vs a bare Fastify route returning the same bytes, in one server process, loaded
// by autocannon from this process, alternating. Target: ≥ 0.8× the floor.
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8)
const durationS = Number(process.env.BENCH_SECONDS ?? 5)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)

const server = fileURLToPath(new URL('./lib/gateway-bench-server.ts', import.meta.url))
const { child, match } = await startChild(process.execPath, ['--import', 'tsx', server, 'gateway'], /READY (\{.*\})/)
try {
  const ports = JSON.parse(match[1]!) as { strata: number; floor: number }
  const path = '/v1/namespaces/bench/keys/hot'
  const check = await fetch(`http://127.0.0.1:${ports.strata}${path}`)
  if (check.headers.get('x-cache') !== 'HIT') throw new Error(`expected an L1 hit, got ${check.status} ${check.headers.get('x-cache')}`)
  await check.arrayBuffer()
  const results = await compareLoad(
    { strata: `http://127.0.0.1:${ports.strata}${path}`, floor: `http://127.0.0.1:${ports.floor}${path}` },
    { connections, durationS, rounds, warmupS: 2 },
  )
  printReport({
    bench: 'gateway',
    metric: 'L1-hit GET throughput',
    unit: 'req/s',
    higherIsBetter: true,
    results: { strata: results.strata!.rps, floor: results.floor!.rps },
    table: Object.entries(results).map(([name, r]) => ({ contender: name, 'req/s': r.rps, 'p99 ms': r.p99Ms, errors: r.errors })),
    env: { connections, durationS, rounds, p99Ms: { strata: results.strata!.p99Ms, floor: results.floor!.p99Ms }, target: 'strata/floor >= 0.8' },
    ratios: { 'strata/floor': round(results.strata!.rps / results.floor!.rps) },
  })
} finally {
  await stopChild(child)
}
