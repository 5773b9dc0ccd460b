import { randomUUID } from 'node:crypto'
import { transportInvalidationBus } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { createCache, memoryStore } from '@strata/core'
import { NamespaceRegistry, buildGateway, type Gateway } from '@strata/gateway'
import { type InvalidationRecord } from '@strata/invalidation'
import { MemoryEventDedupe, buildInvalidator, parseRules, type Invalidator } from '@strata/invalidator'
import { requireKafka, uniqueName, waitUntil } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * strata.invalidations.records.v1 earns its place: a gateway follows the invalidator's records into
 * GET /v1/invalidations (what the console's history page reads), on real Kafka, beside its own invalidations.
 */
describe("the invalidator's records in a gateway's invalidation history (Kafka)", () => {
  const recordsTopic = uniqueName('test.records')
  let transport: KafkaTransport
  let invalidator: Invalidator
  let gateway: Gateway
  const gatewayCache = createCache({ l2: memoryStore() })
  const registry = new NamespaceRegistry(gatewayCache)

  beforeAll(async () => {
    const brokers = await requireKafka()
    transport = new KafkaTransport({ brokers, clientId: 'records-history-test', log: () => undefined })
    invalidator = buildInvalidator({
      transport,
      l2: memoryStore(),
      publisher: transportInvalidationBus(transport, { instanceId: 'records-test', topic: uniqueName('test.invalidations') }),
      rules: parseRules('version: 1\nnamespaces:\n  orders: { ttl: 60000 }\nrules: []\n', 'records-rules.yaml'),
      dedupe: new MemoryEventDedupe(),
      recordsTopic,
    })
    await registry.start({ orders: { ttl: 60_000 } })
    gateway = await buildGateway({ cache: gatewayCache, registry, processMetrics: false, invalidationRecords: { transport, instanceId: uniqueName('gw'), topic: recordsTopic } })
    await gateway.app.ready()
  }, 60_000)

  afterAll(async () => {
    await gateway?.close()
    registry.close()
    await gatewayCache.close()
    await invalidator?.stop()
    await transport?.close()
  }, 30_000)

  const history = async (): Promise<InvalidationRecord[]> => (await gateway.app.inject({ method: 'GET', url: '/v1/invalidations?namespace=orders' })).json<{ invalidations: InvalidationRecord[] }>().invalidations

  it('an invalidation the invalidator carried out appears in the gateway history, with its record unchanged, next to the gateway’s own', { timeout: 60_000 }, async () => {
    // The gateway reads from when its broadcast group joined: invalidate until one arrives, then follow one exactly.
    await waitUntil(async () => {
      await invalidator.invalidate({ namespace: 'orders', keys: [`warm-up:${randomUUID()}`], trigger: 'manual', actor: 'key:test', occurredAt: Date.now() })
      return (await history()).length > 0
    }, 45_000)
    const record = await invalidator.invalidate({ namespace: 'orders', keys: ['order:42'], trigger: 'manual', actor: 'key:test', occurredAt: Date.now() })
    await waitUntil(async () => (await history()).some((entry) => entry.id === record.id), 15_000)
    expect((await history()).find((entry) => entry.id === record.id)).toEqual(record)

    const own = await gateway.app.inject({ method: 'POST', url: '/v1/namespaces/orders/invalidations', payload: { keys: ['order:7'] } })
    expect(own.statusCode, own.body).toBe(200)
    const [newest, next] = await history()
    expect(newest?.targets.keys).toEqual(['order:7'])
    expect(next?.id).toBe(record.id)
  })
})
