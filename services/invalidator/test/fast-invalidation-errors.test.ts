import { FanoutErrorReport, MemoryTransport, transportInvalidationBus } from '@strata/bus'
import { RedisInvalidationFanout, fastInvalidationChannel } from '@strata/bus/redis'
import { memoryStore } from '@strata/core'
import { RedisProcess, freePort, uniqueName, waitUntil } from '@strata/testkit'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryEventDedupe, buildInvalidator, parseRules, type Invalidator } from '../src/app.js'

// Issue 20: the fast path's failures never fail an invalidation (the bus carries every one), so they must be seen
// elsewhere: the invalidator counts them on /metrics, as main.ts wires a FanoutErrorReport into its publisher.
describe('fast invalidation fanout failures in the invalidator', () => {
  let redis: RedisProcess
  let client: Redis
  let invalidator: Invalidator
  const warnings: { fields: Record<string, unknown>; message: string }[] = []

  beforeAll(async () => {
    // A Redis of the test's own, killed below: the fanout's Redis going away while the bus works.
    redis = new RedisProcess(await freePort())
    await redis.start()
    client = new Redis(redis.url, { maxRetriesPerRequest: 1 })
    client.on('error', () => undefined)
    const report = new FanoutErrorReport('redis', { warn: (fields, message) => warnings.push({ fields, message }) })
    const transport = new MemoryTransport()
    invalidator = buildInvalidator({
      transport,
      l2: memoryStore(),
      publisher: transportInvalidationBus(transport, {
        instanceId: uniqueName('inv'),
        fanout: new RedisInvalidationFanout(client, { channel: fastInvalidationChannel(uniqueName('fasterr'), 'strata.invalidations.v1') }),
        onFanoutError: report.report,
      }),
      rules: parseRules('version: 1\nrules: []\n', 'rules.yaml'),
      dedupe: new MemoryEventDedupe(),
      fanoutErrors: report,
    })
  })
  afterAll(async () => {
    await invalidator?.stop()
    client?.disconnect()
    await redis?.dispose()
  })

  const publishErrors = async (): Promise<number> => {
    const metrics = (await invalidator.http.inject({ method: 'GET', url: '/metrics' })).body
    return Number(/^strata_fast_invalidation_errors_total\{fanout="redis",stage="publish"\} (\d+)$/m.exec(metrics)?.[1] ?? Number.NaN)
  }

  it('an invalidation still succeeds while the fanout is down, and the failure shows on /metrics and in a warn', async () => {
    await waitUntil(() => client.status === 'ready', 5_000)
    await invalidator.invalidate({ namespace: 'orders', keys: ['order:1'], trigger: 'manual', occurredAt: Date.now() })
    expect(await publishErrors()).toBe(0)

    await redis.kill()
    await waitUntil(() => client.status !== 'ready', 5_000)
    const record = await invalidator.invalidate({ namespace: 'orders', keys: ['order:2'], trigger: 'manual', occurredAt: Date.now() })
    expect(record.targets).toMatchObject({ keys: ['order:2'] })
    await waitUntil(async () => (await publishErrors()) === 1, 5_000)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]!.fields).toMatchObject({ fanout: 'redis', stage: 'publish' })
  })
})
