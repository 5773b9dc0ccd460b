import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalInvalidationBus, type InvalidationBus } from '@strata/core'
import { transportInvalidationBus, type Transport } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { eventually, requireKafka, requireRedis, uniqueName } from '@strata/testkit'
import { ScriptedOrigin, json, startGateway, type TestGateway } from './support/harness.js'

const JSON_HEADERS = { 'content-type': 'application/json' }

/** One bus per gateway instance: the in-process bus (shared object) or Kafka (a transport and broadcast group each). */
const buses: Record<string, () => Promise<{ buses: [InvalidationBus, InvalidationBus]; transports: Transport[] }>> = {
  'the in-process bus': () => {
    const bus = new LocalInvalidationBus()
    return Promise.resolve({ buses: [bus, bus], transports: [] })
  },
  Kafka: async () => {
    const brokers = await requireKafka()
    const topic = uniqueName('gw.invalidations')
    const transports = [new KafkaTransport({ brokers }), new KafkaTransport({ brokers })]
    const make = (transport: Transport) => transportInvalidationBus(transport, { instanceId: randomUUID(), topic })
    return { buses: [make(transports[0]!), make(transports[1]!)], transports }
  },
}

/** Two gateway instances over one Redis and one bus: what one instance invalidates, the other's L1 drops. */
describe.each(Object.keys(buses))('two gateway instances sharing Redis and %s', (busName) => {
  let a: TestGateway
  let b: TestGateway
  let origin: ScriptedOrigin
  let transports: Transport[] = []

  beforeAll(async () => {
    await requireRedis()
    origin = await new ScriptedOrigin().start()
    origin.on('/p/1', () => ({ headers: { 'cache-control': 'public, max-age=300', 'surrogate-key': 'product-1', 'content-type': 'application/json' }, body: json({ id: 1 }) }))
    const made = await buses[busName]!()
    transports = made.transports
    const prefix = uniqueName('gw2')
    const upstreams = { shop: { url: origin.url } }
    a = await startGateway({ prefix, bus: made.buses[0], upstreams })
    b = await startGateway({ prefix, bus: made.buses[1], upstreams })
  }, 60_000)
  afterAll(async () => {
    await a?.stop()
    await b?.stop()
    await origin?.stop()
    await Promise.all(transports.map((transport) => transport.close()))
  })

  it('a namespace created through one instance is served by the other', async () => {
    const created = await a.app.inject({ method: 'PUT', url: '/v1/admin/namespaces/shared', headers: JSON_HEADERS, payload: json({ ttl: 300_000 }) })
    expect(created.statusCode).toBe(201)
    const put = await b.app.inject({ method: 'PUT', url: '/v1/namespaces/shared/keys/k', headers: JSON_HEADERS, payload: json({ value: 'v1' }) })
    expect(put.statusCode).toBe(200)
    expect((await a.app.inject('/v1/namespaces/shared/keys/k')).json()).toBe('v1')
  })

  it('an invalidation through A empties the L1 of B', async () => {
    await a.app.inject({ method: 'PUT', url: '/v1/namespaces/shared/keys/x', headers: JSON_HEADERS, payload: json({ value: 1, tags: ['grp'] }) })
    await a.app.inject({ method: 'PUT', url: '/v1/namespaces/shared/keys/y', headers: JSON_HEADERS, payload: json({ value: 2 }) })
    // B reads both: now they are in B's L1.
    expect((await b.app.inject('/v1/namespaces/shared/keys/x')).statusCode).toBe(200)
    expect((await b.app.inject('/v1/namespaces/shared/keys/y')).statusCode).toBe(200)
    expect((await b.cache.namespace('shared').inspect('x'))?.tier).toBe('l1')

    await a.app.inject({ method: 'POST', url: '/v1/namespaces/shared/invalidations', headers: JSON_HEADERS, payload: json({ keys: ['y'], tags: ['grp'] }) })
    await eventually(async () => {
      expect((await b.app.inject('/v1/namespaces/shared/keys/x')).statusCode).toBe(404)
      expect((await b.app.inject('/v1/namespaces/shared/keys/y')).statusCode).toBe(404)
    }, 15_000)
  })

  it('a write through A replaces the value in the L1 of B', async () => {
    await a.app.inject({ method: 'PUT', url: '/v1/namespaces/shared/keys/w', headers: JSON_HEADERS, payload: json({ value: 'old' }) })
    expect((await b.app.inject('/v1/namespaces/shared/keys/w')).json()).toBe('old')
    await a.app.inject({ method: 'PUT', url: '/v1/namespaces/shared/keys/w', headers: JSON_HEADERS, payload: json({ value: 'new' }) })
    await eventually(async () => expect((await b.app.inject('/v1/namespaces/shared/keys/w')).json()).toBe('new'), 15_000)
  })

  it('a proxy purge by surrogate key through A reaches the stored response in B', async () => {
    expect((await b.app.inject('/proxy/shop/p/1')).headers['x-cache']).toBe('MISS')
    expect((await b.app.inject('/proxy/shop/p/1')).headers['x-cache']).toBe('HIT')
    // A shares the L2: its first read is a hit too.
    expect((await a.app.inject('/proxy/shop/p/1')).headers['x-cache']).toBe('HIT')
    expect(origin.hitsOf('/p/1')).toBe(1)
    const purge = await a.app.inject({ method: 'POST', url: '/v1/proxy/purge', headers: JSON_HEADERS, payload: json({ upstream: 'shop', surrogateKeys: ['product-1'] }) })
    expect(purge.statusCode).toBe(200)
    await eventually(async () => expect((await b.app.inject('/proxy/shop/p/1')).headers['x-cache']).toBe('MISS'), 15_000)
    expect(origin.hitsOf('/p/1')).toBe(2)
  })
})
