import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeBehindQueue } from '@strata/queue'
import { RedisPendingWrites } from '@strata/queue/redis'
import { requireQueueRedis, servers, uniqueName } from '@strata/testkit'
import { startGateway, type TestGateway } from './support/harness.js'

const JSON_HEADERS = { 'content-type': 'application/json' }

// Write-behind backpressure end to end: the real Redis write-behind buffer refuses past its depth limit, and the
// gateway answers 503 problem+json with Retry-After, writing nothing.
describe('write-behind backpressure over HTTP (real queue Redis)', () => {
  let client: Redis
  let gw: TestGateway
  const name = uniqueName('wb-bp')

  beforeAll(async () => {
    await requireQueueRedis()
    client = new Redis(servers.queueRedisUrl)
    const queue = writeBehindQueue({ pending: new RedisPendingWrites({ client, name }), maxDepth: 2, retryAfterMs: 2_500 })
    // The origin is where the write-behind flusher (services/write-behind) writes; this test stops before any flush.
    gw = await startGateway({ queue, namespaces: { wb: { writeMode: 'write-behind', origin: { url: 'http://127.0.0.1:9/wb/{key}' } } } })
  })
  afterAll(async () => {
    await gw?.stop()
    const keys = await client.keys(`*${name}*`)
    if (keys.length > 0) await client.del(...keys)
    client.disconnect()
  })

  it('answers 503 with Retry-After past the configured depth, and the refused write changes nothing', async () => {
    for (const key of ['a', 'b']) {
      const accepted = await gw.app.inject({ method: 'PUT', url: `/v1/namespaces/wb/keys/${key}`, headers: JSON_HEADERS, payload: JSON.stringify({ value: key }) })
      expect(accepted.statusCode).toBe(200)
    }
    const refused = await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/wb/keys/c', headers: JSON_HEADERS, payload: JSON.stringify({ value: 'c' }) })
    expect(refused.statusCode).toBe(503)
    expect(refused.headers['retry-after']).toBe('3')
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/)
    expect(refused.json()).toMatchObject({ status: 503, code: 'E_BACKPRESSURE' })
    expect(await gw.cache.namespace('wb').inspect('c')).toBeUndefined()
    expect(await gw.cache.namespace('wb').get('a')).toBe('a')
  })
})
