import { transportInvalidationBus } from '@strata/bus'
import { KafkaTransport } from '@strata/bus/kafka'
import { createCache } from '@strata/core'
import { redisStore } from '@strata/core/redis'

// A cache instance in a process of its own, as an application embedding @strata/core would run it: L1 + Redis L2,
// following invalidations from Kafka. Driven over IPC by CacheProcessHandle.
//   argv: <instanceId> <brokers> <redisUrl> <prefix> <invalidationsTopic>
const [instanceId, brokers, redisUrl, prefix, topic] = process.argv.slice(2) as [string, string, string, string, string]
const transport = new KafkaTransport({ brokers: brokers.split(','), clientId: `cache-${instanceId}`, log: () => undefined })
const cache = createCache({
  prefix,
  l2: redisStore({ url: redisUrl }),
  bus: transportInvalidationBus(transport, { instanceId, topic }),
})

type Request =
  | { id: number; op: 'load'; namespace: string; keys: string[] }
  | { id: number; op: 'l1'; namespace: string; keys: string[] }
  | { id: number; op: 'watch'; namespace: string; keys: string[] }
  | { id: number; op: 'close' }

const watched = new Map<string, Set<string>>()
cache.on('invalidate', (event) => {
  if (!event.remote) return
  const keys = watched.get(event.namespace)
  if (keys === undefined) return
  const at = performance.timeOrigin + performance.now()
  const gone = (event.keys ?? []).filter((key) => keys.has(key))
  for (const key of gone) keys.delete(key)
  if (gone.length > 0) process.send!({ evicted: gone, at })
})

process.on('message', (raw) => {
  const request = raw as Request
  void (async () => {
    switch (request.op) {
      case 'load': {
        const namespace = cache.namespace(request.namespace)
        for (const key of request.keys) await namespace.get(key)
        return { ok: true }
      }
      case 'l1': {
        const namespace = cache.namespace(request.namespace)
        return { inL1: await Promise.all(request.keys.map(async (key) => (await namespace.inspect(key))?.tier === 'l1')) }
      }
      case 'watch': {
        let keys = watched.get(request.namespace)
        if (keys === undefined) watched.set(request.namespace, (keys = new Set()))
        for (const key of request.keys) keys.add(key)
        return { ok: true }
      }
      case 'close':
        await cache.close()
        await transport.close()
        setImmediate(() => process.exit(0))
        return { ok: true }
    }
  })().then(
    (result) => process.send!({ id: request.id, ...result }),
    (error: unknown) => process.send!({ id: request.id, error: String(error) }),
  )
})

await cache.ready
process.send!({ ready: true })
