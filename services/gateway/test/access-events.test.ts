import { MemoryTransport, TOPICS, consumeEvents, type AccessBatchEvent, type ErrorEvent, type OutgoingMessage, type Transport } from '@strata/bus'
import { eventually, uniqueName } from '@strata/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { AccessPublisher } from '../src/access/access-publisher.js'
import { AccessSampling } from '../src/access/access-sampling.js'
import { ScriptedOrigin, json, startGateway, type TestGateway } from './support/harness.js'

/** The in-process transport with a gate: while closed, publishes wait (a slow or stalled broker). */
class GatedTransport extends MemoryTransport {
  private gate: Promise<void> | undefined
  private openGate: (() => void) | undefined
  stall(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve))
  }
  release(): void {
    this.openGate?.()
    this.gate = undefined
  }
  override async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    await this.gate
    return super.publish(topic, messages)
  }
}

describe('access events: sampled, batched, off the hot path', () => {
  let gateway: TestGateway | undefined
  let origin: ScriptedOrigin | undefined
  afterEach(async () => {
    await gateway?.stop()
    await origin?.stop()
  })

  const collect = async (transport: Transport) => {
    const batches: AccessBatchEvent[] = []
    await consumeEvents(transport, TOPICS.access, { group: uniqueName('analytics'), startFrom: 'earliest' }, (event) => {
      if (event.type === 'strata.access.batch.v1') batches.push(event.data as AccessBatchEvent)
      return Promise.resolve()
    })
    return batches
  }

  it('publishes each KV access with its tier and result; hashes the keys of a namespace whose policy says so', async () => {
    origin = await new ScriptedOrigin().start()
    origin.on('/users/alice', () => ({ body: json({ name: 'alice' }), headers: { 'content-type': 'application/json' } }))
    origin.on('/items/a', () => ({ body: json({ id: 'a' }), headers: { 'content-type': 'application/json' } }))
    const transport = new MemoryTransport()
    const batches = await collect(transport)
    const sampling = new AccessSampling({ defaultSampleRate: 1, namespaces: { users: { sampleRate: 1, hashKeys: true } }, hashSalt: 'pepper' })
    const publisher = new AccessPublisher(transport, { instance: 'gw-1', flushIntervalMs: 20 })
    gateway = await startGateway({
      l2: 'memory',
      namespaces: { users: { origin: { url: `${origin.url}/users/{key}` } }, items: { origin: { url: `${origin.url}/items/{key}` } } },
      accessEvents: { publisher, sampling },
    })
    for (const path of ['/v1/namespaces/items/keys/a', '/v1/namespaces/items/keys/a', '/v1/namespaces/users/keys/alice']) {
      expect((await gateway.app.inject({ method: 'GET', url: path })).statusCode).toBe(200)
    }
    expect((await gateway.app.inject({ method: 'PUT', url: '/v1/namespaces/items/keys/b', payload: { value: 1 } })).statusCode).toBe(200)

    await eventually(() => expect(batches.flatMap((batch) => batch.accesses)).toHaveLength(4), 5_000)
    const accesses = batches.flatMap((batch) => batch.accesses)
    expect(accesses.map(({ namespace, operation, result, tier }) => ({ namespace, operation, result, tier }))).toEqual([
      { namespace: 'items', operation: 'get', result: 'miss', tier: 'origin' },
      { namespace: 'items', operation: 'get', result: 'hit', tier: 'l1' },
      { namespace: 'users', operation: 'get', result: 'miss', tier: 'origin' },
      { namespace: 'items', operation: 'set', result: 'ok', tier: undefined },
    ])
    expect(accesses[0]!.key).toBe('a')
    expect(accesses[2]!.key).toMatch(/^h:[A-Za-z0-9_-]{22}$/)
    expect(accesses[2]!.hashed).toBe(true)
    expect(JSON.stringify(batches)).not.toContain('alice')
    expect(accesses.every((access) => access.latencyMs >= 0 && access.sampleRate === undefined)).toBe(true)
  })

  it('samples at the namespace rate and marks the rate on each access', async () => {
    const transport = new MemoryTransport()
    const batches = await collect(transport)
    let draw = 0
    // Deterministic draws: every other access falls under a 0.5 rate.
    const sampling = new AccessSampling({ defaultSampleRate: 0, namespaces: { half: { sampleRate: 0.5 } } }, () => (draw++ % 2 === 0 ? 0.25 : 0.75))
    gateway = await startGateway({ l2: 'memory', accessEvents: { publisher: new AccessPublisher(transport, { instance: 'gw', flushIntervalMs: 20 }), sampling } })
    for (let i = 0; i < 10; i++) await gateway.app.inject({ method: 'GET', url: `/v1/namespaces/half/keys/k${i}` })
    for (let i = 0; i < 10; i++) await gateway.app.inject({ method: 'GET', url: `/v1/namespaces/off/keys/k${i}` })
    await eventually(() => expect(batches.flatMap((batch) => batch.accesses)).toHaveLength(5), 5_000)
    expect(batches.flatMap((batch) => batch.accesses).every((access) => access.namespace === 'half' && access.sampleRate === 0.5 && access.result === 'miss')).toBe(true)
  })

  it('publishes strata.error.v1 for the failures the gateway answers with a 5xx, not for the caller mistakes', async () => {
    origin = await new ScriptedOrigin().start()
    origin.on('/items/broken', () => ({ status: 500, body: 'boom' }))
    const transport = new MemoryTransport()
    const errors: ErrorEvent[] = []
    await consumeEvents(transport, TOPICS.errors, { group: uniqueName('errors'), startFrom: 'earliest' }, (event) => {
      errors.push(event.data as ErrorEvent)
      return Promise.resolve()
    })
    gateway = await startGateway({
      l2: 'memory',
      namespaces: { items: { origin: { url: `${origin.url}/items/{key}` } } },
      accessEvents: { publisher: new AccessPublisher(transport, { instance: 'gw', flushIntervalMs: 20 }), sampling: new AccessSampling({ defaultSampleRate: 0 }) },
    })
    const failed = await gateway.app.inject({ method: 'GET', url: '/v1/namespaces/items/keys/broken' })
    expect(failed.statusCode).toBeGreaterThanOrEqual(500)
    expect((await gateway.app.inject({ method: 'PUT', url: '/v1/namespaces/items/keys/x', payload: 'not json', headers: { 'content-type': 'text/plain' } })).statusCode).toBe(415)
    await eventually(() => expect(errors).toHaveLength(1), 5_000)
    expect(errors[0]).toMatchObject({ service: 'gateway', code: failed.json<{ code: string }>().code, namespace: 'items', operation: 'GET /v1/namespaces/:ns/keys/:key' })
  })

  it('drops and counts accesses while the bus is stalled instead of holding requests; reports the drops in the next batch', async () => {
    const transport = new GatedTransport()
    const batches = await collect(transport)
    const publisher = new AccessPublisher(transport, { instance: 'gw', flushIntervalMs: 10, maxBatch: 10, maxBuffered: 20 })
    gateway = await startGateway({ l2: 'memory', accessEvents: { publisher, sampling: new AccessSampling({ defaultSampleRate: 1 }) } })
    transport.stall()
    // Were a request to wait on the publish, this loop would never finish (the gate opens only below).
    for (let i = 0; i < 100; i++) expect((await gateway.app.inject({ method: 'GET', url: `/v1/namespaces/n/keys/k${i}` })).statusCode).toBe(404)
    // 100 requests answered while nothing could be published: the 10 in flight and 20 buffered are kept, 70 dropped.
    expect(publisher.stats.dropped).toBe(70)
    transport.release()
    await eventually(() => expect(batches.flatMap((batch) => batch.accesses)).toHaveLength(30), 5_000)
    expect(batches.reduce((sum, batch) => sum + batch.dropped, 0)).toBe(70)
  })
})
