import { createServer, type IncomingMessage, type Server } from 'node:http'
import { ErrorEventPublisher, MemoryTransport, TOPICS, decodeEvent, type EventEnvelope } from '@strata/bus'
import { RedisPendingWrites } from '@strata/queue/redis'
import { requireQueueRedis, uniqueName } from '@strata/testkit'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { HttpOrigin, VERSION_HEADER, deadWriteReport, type WriteBehindErrorEvent } from '../src/app.js'
import { NAMESPACE, producer, startApp, waitFor, writeRounds, type AccountValue } from './support/harness.js'

// The HTTP origin option on a real loopback server that keeps a version per key, as the origin contract asks: it
// applies a PUT only when its version is newer (409 otherwise), rejects one key for good (422) and is unavailable
// (503) for its first requests. Writes go through the real Redis buffer and BullMQ flush jobs.
const redisUrl = await requireQueueRedis()
const client = new Redis(redisUrl)
const rows = new Map<string, { value: AccountValue; version: number }>()
const seen = { unavailable: 0, stale: 0, rejected: 0, applied: 0 }
let server: Server
let baseUrl = ''

async function body(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString()
}

beforeAll(async () => {
  server = createServer((request, response) => {
    void (async () => {
      const text = await body(request)
      if (seen.unavailable < 5) {
        seen.unavailable++
        return response.writeHead(503).end()
      }
      const [, namespace, key] = (request.url ?? '').split('/').map(decodeURIComponent)
      const version = Number(request.headers[VERSION_HEADER])
      if (namespace !== NAMESPACE || key === undefined || !Number.isFinite(version)) return response.writeHead(400).end()
      if (key === 'k7') {
        seen.rejected++
        return response.writeHead(422).end('account k7 is frozen')
      }
      const current = rows.get(key)
      if (current !== undefined && current.version >= version) {
        seen.stale++
        return response.writeHead(409).end()
      }
      rows.set(key, { value: JSON.parse(text) as AccountValue, version })
      seen.applied++
      return response.writeHead(204).end()
    })()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`
})
afterAll(async () => {
  client.disconnect()
  await new Promise((resolve) => server.close(resolve))
})

it('flushes the last acknowledged write of every key over HTTP, retries a 503 origin and dead-letters the key it refuses', async () => {
  const name = uniqueName('wb-http')
  const events: WriteBehindErrorEvent[] = []
  // What main.ts does with STRATA_KAFKA_BROKERS set, over the in-process transport: dead writes on strata.errors.v1.
  const bus = new MemoryTransport()
  const published: EventEnvelope[] = []
  await bus.subscribe(TOPICS.errors, { group: 'test', startFrom: 'earliest' }, (message) => {
    published.push(decodeEvent(message))
    return Promise.resolve()
  })
  const errors = new ErrorEventPublisher(bus, { service: 'write-behind' })
  const onError = (event: WriteBehindErrorEvent) => {
    events.push(event)
    errors.report(deadWriteReport(event))
  }
  const service = startApp({ redisUrl, name, origin: new HttpOrigin({ baseUrl }), retry: { attempts: 4, baseMs: 50, maxMs: 200 }, onError })
  const cache = producer(new RedisPendingWrites({ client, name }))
  const { acknowledged } = await writeRounds(cache, { keys: 100, rounds: 3, concurrency: 16 })
  await waitFor(async () => (await service.pending.stats(Date.now())).depth === 0, 30_000, 'the buffer to drain')

  expect(seen.unavailable).toBe(5)
  expect(seen.rejected).toBeGreaterThan(0)
  expect(rows.has('k7')).toBe(false)
  for (const [key, value] of acknowledged) {
    if (key !== 'k7') expect(rows.get(key)?.value, key).toEqual(value)
  }
  expect(rows.size).toBe(99)
  expect(events).toHaveLength(1)
  expect(events[0]).toMatchObject({ code: 'E_ORIGIN_REJECTED', namespace: NAMESPACE, key: 'k7' })
  expect(await service.app.flusher.getMetrics()).toMatchObject({ deadLetters: 1, queueDepth: 0 })
  await errors.flush()
  await expect.poll(() => published.length).toBe(1)
  expect(published[0]).toMatchObject({ type: 'strata.error.v1', subject: expect.stringMatching(/^.+\/k7@[\d.]+$/) as unknown, data: { service: 'write-behind', code: 'E_ORIGIN_REJECTED', namespace: NAMESPACE, operation: 'flush' } })
  expect(JSON.stringify(published[0])).not.toMatch(/"value"/)
  await bus.close()
  await cache.close()
  await service.dispose()
}, 60_000)
