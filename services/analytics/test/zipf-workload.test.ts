import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ServiceProcess, eventually, freePort, requireKafka, uniqueName, waitUntil, zipfKeys } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AnalyticsReport } from '../src/app.js'
import { startAnalytics, type AnalyticsHarness } from './support/analytics-harness.js'

const ITEMS = 4_000
const REQUESTS = 16_000

/** The full simulation the miss-ratio curve is checked against: an exact LRU cache over the same key sequence. */
function lruHitRatio(keys: Int32Array, size: number): number {
  const cache = new Map<number, true>()
  let hits = 0
  for (const key of keys) {
    if (cache.has(key)) {
      hits++
      cache.delete(key)
    } else if (cache.size >= size) cache.delete(cache.keys().next().value!)
    cache.set(key, true)
  }
  return hits / keys.length
}

/** The gateway's own counters for one namespace, from its Prometheus /metrics. */
async function gatewayCounters(gatewayPort: number, namespace: string): Promise<{ hits: number; reads: number }> {
  const text = await (await fetch(`http://127.0.0.1:${gatewayPort}/metrics`)).text()
  let hits = 0
  let reads = 0
  for (const line of text.split('\n')) {
    const match = /^strata_cache_requests_total\{(.*)\} (\d+(?:\.\d+)?)$/.exec(line)
    if (match === null || !match[1]!.includes(`namespace="${namespace}"`)) continue
    const value = Number(match[2])
    reads += value
    if (match[1]!.includes('result="hit"')) hits += value
  }
  return { hits, reads }
}

/**
 * Acceptance (issue 8): a Zipf workload with a known distribution through a real gateway (main.ts, access events on
 * real Kafka) into the analytics service: its hit ratio matches the gateway's own counters within 1 point, its top-K
 * holds the truly hottest keys, and its miss-ratio curve is within 5 points of a full LRU simulation at 3 sizes.
 */
describe('analytics of a Zipf workload through the gateway', () => {
  const namespace = uniqueName('zipf').replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60)
  const keys = zipfKeys({ items: ITEMS, accesses: REQUESTS, exponent: 0.9, seed: 42 })
  let origin: Server
  let gateway: ServiceProcess
  let harness: AnalyticsHarness
  let gatewayPort: number

  beforeAll(async () => {
    const brokers = await requireKafka()
    gatewayPort = await freePort()
    // At most 400 keys tracked for the curve: SHARDS must sample (~10% of the 4 000 keys), not count everything.
    harness = await startAnalytics({ state: { mrc: { maxTracked: 400 } } })
    origin = createServer((request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: request.url })))
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve))
    gateway = ServiceProcess.start('gateway', {
      // Auth is another suite's concern (services/gateway/test/auth-matrix.test.ts): this gateway runs open.
      STRATA_GATEWAY_AUTH: 'off',
      OTEL_SDK_DISABLED: 'true',
      HOST: '127.0.0.1',
      PORT: String(gatewayPort),
      STRATA_GATEWAY_L2: 'memory',
      STRATA_GATEWAY_L1_ENTRIES: '1000',
      STRATA_GATEWAY_BUS: 'kafka',
      STRATA_KAFKA_BROKERS: brokers.join(','),
      STRATA_GATEWAY_DRAIN_DELAY_MS: '0',
      LOG_LEVEL: 'warn',
      STRATA_GATEWAY_NAMESPACES: JSON.stringify({ [namespace]: { ttl: 600_000, origin: { url: `http://127.0.0.1:${(origin.address() as AddressInfo).port}/items/{key}` } } }),
      STRATA_GATEWAY_ACCESS_EVENTS: JSON.stringify({ defaultSampleRate: 0, namespaces: { [namespace]: { sampleRate: 1 } }, topic: harness.topics.access }),
    })
    await waitUntil(async () => {
      if (gateway.exited) throw new Error(`gateway exited:\n${gateway.output.join('')}`)
      return (await fetch(`http://127.0.0.1:${gatewayPort}/health/ready`).catch(() => undefined))?.ok === true
    }, 60_000)
  }, 90_000)

  afterAll(async () => {
    await gateway?.stop()
    await harness?.stop()
    await new Promise((resolve) => origin?.close(resolve))
  })

  it('matches the cache counters, finds the hot keys, and predicts LRU hit ratios by size', async () => {
    // Four connections in order-preserving lanes: access i goes out after access i-4 was answered.
    let next = 0
    const lane = async () => {
      for (let i = next++; i < REQUESTS; i = next++) {
        const response = await fetch(`http://127.0.0.1:${gatewayPort}/v1/namespaces/${namespace}/keys/k${keys[i]}`)
        expect(response.status).toBe(200)
        await response.arrayBuffer()
      }
    }
    await Promise.all([lane(), lane(), lane(), lane()])
    const counters = await gatewayCounters(gatewayPort, namespace)
    expect(counters.reads).toBe(REQUESTS)

    let report: AnalyticsReport | undefined
    await eventually(async () => {
      await harness.analytics.flusher.flush()
      report = (await harness.analytics.http.inject({ method: 'GET', url: `/v1/report?window=1h&namespace=${namespace}` })).json<AnalyticsReport>()
      expect(report.namespaces[0]?.requests).toBe(REQUESTS)
    }, 60_000)
    const ns = report!.namespaces[0]!

    // 1. Hit ratio within 1 point of the gateway's own counters.
    expect(Math.abs(ns.hitRatio! - counters.hits / counters.reads)).toBeLessThan(0.01)

    // 2. The 10 truly hottest keys of the generated stream are in the reported top 20.
    const truth = new Map<number, number>()
    for (const key of keys) truth.set(key, (truth.get(key) ?? 0) + 1)
    const hottest = [...truth.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([key]) => `k${key}`)
    const reported = ns.hotKeys.map((hit) => hit.key)
    for (const key of hottest) expect(reported).toContain(key)

    // 3. The miss-ratio curve against the full LRU simulation at three sizes on the reported curve.
    expect(ns.mrc!.samplingRate).toBeLessThan(0.2)
    // The gateway reports its L1 capacity (STRATA_GATEWAY_L1_ENTRIES) with its batches.
    expect(ns.mrc!.l1MaxEntries).toBe(1_000)
    expect(ns.mrc!.relative!.find((point) => point.multiple === 2)!.size).toBe(2_000)
    const points = ns.mrc!.points.filter((point) => [64, 512, 2048].includes(point.size))
    expect(points).toHaveLength(3)
    for (const point of points) {
      const exact = lruHitRatio(keys, point.size)
      if (process.env.STRATA_PRINT_FIGURES === '1') console.log(`MRC size ${point.size}: SHARDS ${point.hitRatio.toFixed(4)} (rate ${ns.mrc!.samplingRate.toFixed(3)}) vs LRU ${exact.toFixed(4)}; hit ratio ${ns.hitRatio} vs counters ${counters.hits / counters.reads}`)
      expect(Math.abs(point.hitRatio - exact), `size ${point.size}: estimate ${point.hitRatio}, LRU ${exact}`).toBeLessThan(0.05)
    }
  }, 180_000)
})
