import { createServer } from 'node:net'
import { redisStore } from '@strata/core/redis'
import type { InvalidationBus } from '@strata/core'
import { TcpProxy, requireRedis, servers, urlHostPort } from '@strata/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { json, startGateway, type TestGateway } from './support/harness.js'

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

const metric = async (gw: TestGateway, name: string): Promise<number> => {
  const line = (await gw.app.inject('/metrics')).body.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
  return Number(line?.split(' ').at(-1) ?? Number.NaN)
}

/** What the gateway says about an L2 outage and a lost invalidation, in /metrics (and its log). */
describe('gateway metrics for engine events', () => {
  const stops: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop()
  })

  it('counts the L2 circuit opening while Redis is cut off, and closing when it is back', async () => {
    await requireRedis()
    const target = urlHostPort(servers.redisUrl, 6379)
    const proxy = new TcpProxy(await freePort(), target)
    await proxy.start()
    stops.push(() => proxy.stop())
    const l2 = redisStore({ url: `redis://127.0.0.1:${proxy.port}`, connectWaitMs: 200, redis: { connectTimeout: 200 } })
    const gw = await startGateway({ l2, resilience: { failureThreshold: 3, halfOpenAfterMs: 300 }, namespaces: { outage: { ttl: 60_000, l1Ttl: 0 } } })
    stops.push(() => gw.stop())
    await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/outage/keys/a', headers: { 'content-type': 'application/json' }, payload: json({ value: 1 }) })
    expect(await metric(gw, 'strata_l2_circuit_open')).toBe(0)

    await proxy.stop()
    await expect
      .poll(
        async () => {
          await gw.app.inject('/v1/namespaces/outage/keys/a')
          return metric(gw, 'strata_l2_circuit_open')
        },
        { timeout: 15_000, interval: 50 },
      )
      .toBe(1)
    expect(await metric(gw, 'strata_l2_circuit_transitions_total{state="open"}')).toBeGreaterThanOrEqual(1)

    await proxy.start()
    await expect
      .poll(
        async () => {
          await gw.app.inject('/v1/namespaces/outage/keys/a')
          return metric(gw, 'strata_l2_circuit_open')
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBe(0)
    expect(await metric(gw, 'strata_l2_circuit_transitions_total{state="closed"}')).toBeGreaterThanOrEqual(1)
  })

  it('counts bus gaps and the L1 entries they dropped', async () => {
    // A bus whose subscription reports a gap on demand: the port's contract, as a Kafka subscriber reports skipped offsets.
    let reportGap: ((reason: string) => void) | undefined
    const bus: InvalidationBus = {
      publish: () => Promise.resolve(),
      subscribe: (_handler, onGap) => {
        reportGap = onGap
        return Promise.resolve(() => Promise.resolve())
      },
    }
    const gw = await startGateway({ l2: 'memory', bus, namespaces: { gaps: { ttl: 60_000 } } })
    stops.push(() => gw.stop())
    for (const key of ['a', 'b', 'c']) {
      await gw.app.inject({ method: 'PUT', url: `/v1/namespaces/gaps/keys/${key}`, headers: { 'content-type': 'application/json' }, payload: json({ value: key }) })
    }
    expect(await metric(gw, 'strata_bus_gaps_total')).toBe(0)
    reportGap?.('12 offsets skipped on strata.invalidations.v1[0]')
    expect(await metric(gw, 'strata_bus_gaps_total')).toBe(1)
    expect(await metric(gw, 'strata_l1_dropped_on_gap_total')).toBeGreaterThanOrEqual(3)
  })
})
