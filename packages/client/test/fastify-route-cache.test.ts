import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCache, type StrataCache } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { requireRedis, servers, uniqueName } from '@strata/testkit'
import { strataRouteCache } from '../src/fastify/index.js'

describe('strataRouteCache Fastify plugin (real Redis)', () => {
  let cache: StrataCache
  let app: FastifyInstance
  const calls = new Map<string, number>()
  const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1)

  beforeAll(async () => {
    await requireRedis()
    cache = createCache({ prefix: uniqueName('fastify-cache'), l2: redisStore({ url: servers.redisUrl }) })
    app = Fastify()
    await app.register(strataRouteCache, { cache, ttl: 30_000 })
    app.get<{ Params: { id: string } }>(
      '/products/:id',
      { config: { strataCache: { tags: (request) => [`product:${(request.params as { id: string }).id}`] } } },
      async (request) => {
        count('product')
        return { id: request.params.id, price: 10 * (calls.get('product') ?? 0) }
      },
    )
    app.get('/text', { config: { strataCache: true } }, async (_request, reply) => {
      count('text')
      return reply.type('text/plain').send('hello')
    })
    app.get('/binary', { config: { strataCache: true } }, async (_request, reply) => {
      count('binary')
      return reply.type('application/octet-stream').send(Buffer.from([0, 1, 2, 255]))
    })
    app.get('/uncached', async () => {
      count('uncached')
      return { ok: true }
    })
    app.get('/fails', { config: { strataCache: true } }, async (_request, reply) => {
      count('fails')
      return reply.code(500).send({ error: 'origin down' })
    })
    await app.ready()
  })
  afterAll(async () => {
    await app.close()
    await cache.namespace('http').clear()
    await cache.close()
  })

  it('answers a cached route from Strata on the second request without running the handler', async () => {
    const first = await app.inject('/products/7')
    expect(first.headers['x-cache']).toBe('MISS')
    const second = await app.inject('/products/7')
    expect(second.headers['x-cache']).toBe('HIT')
    expect(second.json()).toEqual(first.json())
    expect(second.headers['content-type']).toContain('application/json')
    expect(calls.get('product')).toBe(1)
    // Stored in L2 (Redis): another instance sharing the prefix sees it.
    expect(await cache.namespace('http').inspect('GET /products/7')).toMatchObject({ value: { status: 200 } })
  })

  it('invalidates by the tags the route gave, through the decorator', async () => {
    await app.inject('/products/8')
    await app.strataResponses.deleteByTag(['product:8'])
    const after = await app.inject('/products/8')
    expect(after.headers['x-cache']).toBe('MISS')
    expect(after.json()).toEqual({ id: '8', price: 30 })
  })

  it('keeps text and binary bodies byte for byte', async () => {
    await app.inject('/text')
    const text = await app.inject('/text')
    expect([text.headers['x-cache'], text.body, text.headers['content-type']]).toEqual(['HIT', 'hello', 'text/plain'])
    await app.inject('/binary')
    const binary = await app.inject('/binary')
    expect(binary.headers['x-cache']).toBe('HIT')
    expect([...binary.rawPayload]).toEqual([0, 1, 2, 255])
  })

  it('leaves routes without the option, errors, non-GET and credentialed requests alone', async () => {
    await app.inject('/uncached')
    await app.inject('/uncached')
    expect(calls.get('uncached')).toBe(2)
    await app.inject('/fails')
    expect((await app.inject('/fails')).statusCode).toBe(500)
    expect(calls.get('fails')).toBe(2)
    const before = calls.get('product')
    await app.inject({ url: '/products/9', headers: { authorization: 'Bearer x' } })
    await app.inject({ url: '/products/9', headers: { authorization: 'Bearer x' } })
    expect(calls.get('product')).toBe(before! + 2)
  })
})
