import { createCache, isStrataError, type StrataCache } from '@strata/core'
import { redisInvalidationOutbox, redisStore } from '@strata/core/redis'
import { KafkaProcess, freePort, requireRedis, servers, uniqueName, waitUntil } from '@strata/testkit'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { transportInvalidationBus } from '../src/invalidation/transport-invalidation-bus.js'
import { KafkaTransport } from '../src/transport/kafka/index.js'

const BOUND_MS = 2_000

// The staleness bound and the outbox, end to end: two caches on real Redis, their invalidations on a throwaway broker
// of this test's own, which is frozen (SIGSTOP: a partition, sockets open and no answers) while one cache writes.
describe('bounded staleness and the invalidation outbox (real Kafka, real Redis)', () => {
  let broker: KafkaProcess
  const transports: KafkaTransport[] = []
  const caches: StrataCache[] = []

  beforeAll(async () => {
    await requireRedis()
    broker = new KafkaProcess(await freePort(), await freePort())
    await broker.start()
  }, 120_000)
  afterAll(async () => {
    broker.resume()
    await Promise.all(caches.map((cache) => cache.close()))
    await Promise.all(transports.map((transport) => transport.close()))
    await broker.dispose()
  }, 60_000)

  function instance(prefix: string, topic: string, outboxKey: string | undefined): StrataCache {
    const transport = new KafkaTransport({ brokers: broker.brokers, clientId: uniqueName('bounded'), log: () => undefined, maxWaitTimeMs: 100, joinTimeoutMs: 90_000 })
    transports.push(transport)
    const cache = createCache({
      prefix,
      l2: redisStore({ url: servers.redisUrl }),
      bus: transportInvalidationBus(transport, { instanceId: uniqueName('i'), topic }),
      maxStalenessMs: BOUND_MS,
      ...(outboxKey === undefined ? {} : { outbox: redisInvalidationOutbox({ url: servers.redisUrl, key: outboxKey }) }),
    })
    caches.push(cache)
    return cache
  }

  it('with the broker frozen: a write is queued in the outbox and answered, no instance serves the old value past the bound, and the outbox is relayed once the broker is back', async () => {
    const prefix = uniqueName('bs')
    const topic = uniqueName('bs.invalidations')
    const outboxKey = uniqueName('bs.outbox')
    const outbox = redisInvalidationOutbox({ url: servers.redisUrl, key: outboxKey })
    const reader = instance(prefix, topic, outboxKey)
    const writer = instance(prefix, topic, outboxKey)
    const noOutbox = instance(prefix, topic, undefined)
    await Promise.all([reader.ready, writer.ready, noOutbox.ready])
    await waitUntil(() => Date.now() < reader.l1TrustedUntil && Date.now() < writer.l1TrustedUntil, 30_000)

    await writer.set('k', 'v1')
    await waitUntil(async () => (await reader.get('k')) === 'v1', 10_000)
    expect((await reader.inspect('k'))?.tier).toBe('l1')

    broker.pause()
    const started = Date.now()
    await writer.set('k', 'v2')
    const acknowledgedAt = Date.now()
    // Answered once the outbox had it (the bus's publish timeout), not after the transport's 30 s budget.
    expect(acknowledgedAt - started).toBeLessThan(10_000)
    // Without an outbox the caller is told: the change is in L2, its broadcast is not.
    const refused = await noOutbox.set('other', 'x').then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(isStrataError(refused, 'E_BUS_UNAVAILABLE')).toBe(true)

    // Sample the reader: the old value may be served only within the bound after the acknowledgement.
    const staleAfterBound: number[] = []
    while (Date.now() < acknowledgedAt + BOUND_MS + 3_000) {
      const value = await reader.get('k')
      if (value !== 'v2' && Date.now() > acknowledgedAt + BOUND_MS) staleAfterBound.push(Date.now() - acknowledgedAt)
      await sleep(50)
    }
    expect(staleAfterBound).toEqual([])
    expect(await outbox.size()).toBeGreaterThan(0)

    broker.resume()
    await waitUntil(async () => (await outbox.size()) === 0, 60_000)
    await outbox.close()
    // Heard again: L1 is trusted (and serves) once more.
    await waitUntil(() => Date.now() < reader.l1TrustedUntil, 30_000)
    expect(await reader.get('k')).toBe('v2')
    expect((await reader.inspect('k'))?.tier).toBe('l1')
  }, 180_000)
})
