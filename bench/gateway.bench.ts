import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { freePort } from '@strata/testkit'
import { startGatewayMain, waitForWorkers } from './lib/gateway-main.js'
import { compareLoad, startChild, stopChild } from './lib/http-load.js'
import { cpuMs } from './lib/process-cpu.js'
import { printReport, round } from './lib/report.js'

// `pnpm bench gateway`: L1-hit GET through the whole gateway (routing, schema, namespace lookup, engine get +
// metadata, headers, metrics hook) vs a bare Fastify route returning the same bytes, in one server process, loaded
// by autocannon from this process, alternating. `strata-auth` is the same gateway as main.ts runs it: auth on (every
// request carries an API key, checked and rate limited through Redis), process metrics on. Target: strata-auth ≥ 0.8×
// the floor (issue 26). Every contender gets the same request bytes (the key header included). Beside them, for the record, the same GET
// through main.ts with one worker per core (`strata-workers`, STRATA_GATEWAY_WORKERS=auto, L2 on the loopback Redis;
// the answers are L1 hits of every worker).
// BENCH_BASELINE_DIR=<an installed checkout of an earlier commit> adds that commit's gateway as one more contender,
// loaded in the same rounds, so "not slower than before" is measured in one run (`strata/baseline`).
const baselineDir = process.env.BENCH_BASELINE_DIR
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8)
const durationS = Number(process.env.BENCH_SECONDS ?? 5)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const workers = availableParallelism()
const redisUrl = process.env.STRATA_REDIS_URL ?? 'redis://127.0.0.1:6379'

const server = fileURLToPath(new URL('./lib/gateway-bench-server.ts', import.meta.url))
const { child, match } = await startChild(process.execPath, ['--import', 'tsx', server, 'gateway'], /READY (\{.*\})/)
const baseline = baselineDir === undefined ? undefined : await startChild(process.execPath, ['--import', 'tsx', `${baselineDir}/bench/lib/gateway-bench-server.ts`, 'gateway'], /READY (\{.*\})/)
const workersPort = await freePort()
const multi = startGatewayMain({ workers, port: workersPort, redisUrl, env: { STRATA_GATEWAY_NAMESPACES: JSON.stringify({ bench: { ttl: 3_600_000 } }) } })
try {
  const ports = JSON.parse(match[1]!) as { strata: number; 'strata-auth': number; floor: number; key: string }
  const headers = { authorization: `Bearer ${ports.key}` }
  const path = '/v1/namespaces/bench/keys/hot'
  await waitForWorkers(`http://127.0.0.1:${workersPort}/health/ready`, workers)
  // The same value the single process serves (the floor answers its bytes).
  const value = await (await fetch(`http://127.0.0.1:${ports.floor}${path}`)).text()
  const seeded = await fetch(`http://127.0.0.1:${workersPort}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: `{"value":${value}}` })
  if (seeded.status !== 200) throw new Error(`seeding strata-workers failed: ${seeded.status}`)
  // Every worker reads it into its L1 (on connections of their own) before anything is measured.
  await waitForWorkers(`http://127.0.0.1:${workersPort}${path}`, workers)
  const targets: Record<string, string> = {
    strata: `http://127.0.0.1:${ports.strata}${path}`,
    'strata-auth': `http://127.0.0.1:${ports['strata-auth']}${path}`,
    'strata-workers': `http://127.0.0.1:${workersPort}${path}`, floor: `http://127.0.0.1:${ports.floor}${path}` }
  if (baseline !== undefined) targets.baseline = `http://127.0.0.1:${(JSON.parse(baseline.match[1]!) as { strata: number }).strata}${path}`
  for (const [name, url] of Object.entries(targets).filter(([name]) => name !== 'floor')) {
    const check = await fetch(url, { headers })
    if (check.headers.get('x-cache') !== 'HIT') throw new Error(`${name}: expected an L1 hit, got ${check.status} ${check.headers.get('x-cache')}`)
    await check.arrayBuffer()
  }
  // CPU per request: strata, strata-auth and the floor share one process (loaded one at a time), the workers are
  // main.ts and its children; the baseline is its own process.
  const serving = (pid: number | undefined) => () => cpuMs(pid === undefined ? [] : [pid])
  const cpu: Record<string, () => number> = { strata: serving(child.pid), 'strata-auth': serving(child.pid), floor: serving(child.pid), 'strata-workers': serving(multi.pid) }
  if (baseline !== undefined) cpu.baseline = serving(baseline.child.pid)
  const results = await compareLoad(targets, { connections, durationS, rounds, warmupS: 2, headers, cpu })
  printReport({
    bench: 'gateway',
    metric: 'L1-hit GET throughput',
    unit: 'req/s',
    higherIsBetter: true,
    results: Object.fromEntries(Object.entries(results).map(([name, r]) => [name, r.rps])),
    table: Object.entries(results).map(([name, r]) => ({ contender: name, 'req/s': r.rps, 'CPU µs/req': r.cpuUsPerRequest, 'p99 ms': r.p99Ms, errors: r.errors })),
    env: {
      connections,
      durationS,
      rounds,
      workers,
      p99Ms: Object.fromEntries(Object.entries(results).map(([name, r]) => [name, r.p99Ms])),
      cpuUsPerRequest: Object.fromEntries(Object.entries(results).map(([name, r]) => [name, r.cpuUsPerRequest])),
      target: 'strata-auth/floor >= 0.8',
      ...(baselineDir === undefined ? {} : { baseline: baselineDir }),
    },
    ratios: {
      'strata-auth/floor': round(results['strata-auth']!.rps / results.floor!.rps),
      'strata/floor': round(results.strata!.rps / results.floor!.rps),
      // The same comparison in CPU per request (floor's cost / strata's: higher is better, like the throughput ratios).
      'strata-auth/floor (cpu)': round(results.floor!.cpuUsPerRequest! / results['strata-auth']!.cpuUsPerRequest!),
      'strata/floor (cpu)': round(results.floor!.cpuUsPerRequest! / results.strata!.cpuUsPerRequest!),
      'strata-workers/strata': round(results['strata-workers']!.rps / results.strata!.rps),
      ...(results.baseline === undefined
        ? {}
        : { 'strata/baseline': round(results.strata!.rps / results.baseline.rps), 'strata/baseline (cpu)': round(results.baseline.cpuUsPerRequest! / results.strata!.cpuUsPerRequest!) }),
    },
  })
} finally {
  await stopChild(multi)
  await stopChild(child)
  if (baseline !== undefined) await stopChild(baseline.child)
}
