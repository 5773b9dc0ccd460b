import { randomUUID } from 'node:crypto'
import { createCache, memoryStore, type StrataCache } from '@strata/core'
import { requireKafka, waitUntil } from '@strata/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { MemoryTransport, transportInvalidationBus, type Transport } from '../src/index.js'
import { KafkaTransport } from '../src/transport/kafka/index.js'

const adapters: Record<string, () => Promise<Transport[]>> = {
  memory: () => {
    const shared = new MemoryTransport()
    return Promise.resolve([shared, shared])
  },
  kafka: async () => {
    const brokers = await requireKafka()
    return [new KafkaTransport({ brokers }), new KafkaTransport({ brokers })]
  },
}

describe.each(Object.keys(adapters))('transportInvalidationBus over %s', (adapter) => {
  const caches: StrataCache[] = []
  const transports = new Set<Transport>()
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((cache) => cache.close()))
    await Promise.all([...transports].map((transport) => transport.close()))
    transports.clear()
  })

  it('keeps the L1 of two caches in step: keys, prefixes, tags and clear', { timeout: 60_000 }, async () => {
    const [ta, tb] = await adapters[adapter]!()
    transports.add(ta!).add(tb!)
    const topic = `test.invalidations.${randomUUID().slice(0, 8)}`
    const l2 = memoryStore()
    const a = createCache({ l2, bus: transportInvalidationBus(ta!, { instanceId: 'a', topic }) })
    const b = createCache({ l2, bus: transportInvalidationBus(tb!, { instanceId: 'b', topic }) })
    caches.push(a, b)
    await Promise.all([a.ready, b.ready])
    const na = a.namespace('orders')
    const nb = b.namespace('orders')
    const l1Has = async (key: string) => (await nb.inspect(key))?.tier === 'l1'

    // A set also tells the other instances to drop their copy: let those messages land before b reads.
    const remoteDrops = (n: number) => new Promise<void>((resolve) => {
      let seen = 0
      const off = nb.on('invalidate', (event) => {
        if (event.remote && ++seen === n) {
          off()
          resolve()
        }
      })
    })
    const dropped = remoteDrops(4)
    for (const key of ['order:1', 'order:2', 'cart:1', 'cart:2']) await na.set(key, key, { tags: key.startsWith('order') ? ['orders'] : [] })
    await dropped
    for (const key of ['order:1', 'order:2', 'cart:1', 'cart:2']) {
      await nb.get(key)
      expect(await l1Has(key)).toBe(true)
    }
    await na.delete('order:1')
    await waitUntil(async () => !(await l1Has('order:1')), 20_000)
    expect(await l1Has('order:2')).toBe(true)

    await na.deleteByPrefix('cart:')
    await waitUntil(async () => !(await l1Has('cart:1')) && !(await l1Has('cart:2')), 20_000)
    expect(await nb.get('cart:1')).toBeUndefined()

    await na.deleteByTag(['orders'])
    await waitUntil(async () => (await nb.get('order:2')) === undefined, 20_000)

    const setSeen = remoteDrops(1)
    await na.set('order:3', 'x')
    await setSeen
    await nb.get('order:3')
    expect(await l1Has('order:3')).toBe(true)
    await na.clear()
    await waitUntil(async () => !(await l1Has('order:3')), 20_000)
  })
})
