import express from 'express'
import type { Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCache, type StrataCache } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { requireRedis, servers, uniqueName } from '@strata/testkit'
import { strataExpressCache } from '../src/express/index.js'
import { listenInRange } from './support/servers.js'

describe('strataExpressCache middleware with real express (real Redis)', () => {
  let cache: StrataCache
  let server: Server
  let url: string
  const calls = new Map<string, number>()
  const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1)

  beforeAll(async () => {
    await requireRedis()
    cache = createCache({ prefix: uniqueName('express-cache'), l2: redisStore({ url: servers.redisUrl }) })
    const app = express()
    const cached = strataExpressCache({ cache, ttl: 30_000, tags: (request) => [`item:${String(request.params.id)}`] })
    app.get('/items/:id', cached, (request, response) => {
      count('item')
      response.json({ id: request.params.id, n: calls.get('item') })
    })
    app.get('/stream', strataExpressCache({ cache, namespace: 'streams' }), (_request, response) => {
      count('stream')
      response.type('text/plain')
      response.write('part one, ')
      response.end('part two')
    })
    app.get('/missing', strataExpressCache({ cache }), (_request, response) => {
      count('missing')
      response.status(404).json({ error: 'no' })
    })
    app.post('/items/:id', strataExpressCache({ cache }), (_request, response) => {
      count('post')
      response.json({ ok: true })
    })
    const port = await listenInRange(
      (candidate) =>
        new Promise<void>((resolve, reject) => {
          server = app.listen(candidate, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve()))
          server.once('error', reject)
        }),
    )
    url = `http://127.0.0.1:${port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    for (const name of cache.listNamespaces()) await cache.namespace(name).clear()
    await cache.close()
  })

  /** The middleware stores after the answer finished; wait until the entry is there before asking again. */
  async function settled(namespace: string, key: string): Promise<void> {
    for (let i = 0; i < 50 && (await cache.namespace(namespace).inspect(key)) === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  }

  it('serves the second request from Strata without calling the handler', async () => {
    const first = await fetch(`${url}/items/1`)
    expect(first.headers.get('x-cache')).toBe('MISS')
    const body = await first.json()
    await settled('http', 'GET /items/1')
    const second = await fetch(`${url}/items/1`)
    expect(second.headers.get('x-cache')).toBe('HIT')
    expect(second.headers.get('content-type')).toContain('application/json')
    expect(await second.json()).toEqual(body)
    expect(calls.get('item')).toBe(1)
  })

  it('invalidates by tag', async () => {
    await fetch(`${url}/items/2`)
    await settled('http', 'GET /items/2')
    await cache.namespace('http').deleteByTag(['item:2'])
    const after = await fetch(`${url}/items/2`)
    expect(after.headers.get('x-cache')).toBe('MISS')
  })

  it('captures bodies written in several chunks', async () => {
    await (await fetch(`${url}/stream`)).text()
    await settled('streams', 'GET /stream')
    const second = await fetch(`${url}/stream`)
    expect([second.headers.get('x-cache'), await second.text()]).toEqual(['HIT', 'part one, part two'])
    expect(calls.get('stream')).toBe(1)
  })

  it('does not store errors or answer POSTs from the cache', async () => {
    await fetch(`${url}/missing`)
    await fetch(`${url}/missing`)
    expect(calls.get('missing')).toBe(2)
    await fetch(`${url}/items/3`, { method: 'POST' })
    await fetch(`${url}/items/3`, { method: 'POST' })
    expect(calls.get('post')).toBe(2)
  })
})
