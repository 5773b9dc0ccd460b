import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isStrataError } from '@strata/core'
import { requireRedis } from '@strata/testkit'
import { ROUTES, StrataApiError, StrataClient } from '../src/index.js'
import { startGateway, startScriptedServer, type RunningGateway } from './support/servers.js'

describe('StrataClient against a real gateway (real Redis)', () => {
  let gw: RunningGateway
  let client: StrataClient
  beforeAll(async () => {
    await requireRedis()
    gw = await startGateway({ users: { ttl: 60_000 } })
    client = new StrataClient({ baseUrl: gw.url })
  })
  afterAll(async () => gw?.stop())

  it('sets, gets (with metadata), conditionally writes and deletes a key', async () => {
    const written = await client.set('users', 'user:1', { name: 'Ada' }, { ttl: 30_000, tags: ['org:1'] })
    expect(written).toMatchObject({ namespace: 'users', key: 'user:1' })
    expect(written.etag).toMatch(/^"[\d.]+"$/)
    expect(await client.get('users', 'user:1')).toEqual({ name: 'Ada' })
    const entry = await client.getEntry('users', 'user:1')
    expect(entry).toMatchObject({ value: { name: 'Ada' }, etag: written.etag, cache: 'HIT', notModified: false })
    expect(entry!.ttlSeconds).toBeGreaterThan(0)
    expect(entry!.ttlSeconds).toBeLessThanOrEqual(30)
    expect(await client.getEntry('users', 'user:1', { ifNoneMatch: written.etag })).toMatchObject({ notModified: true })

    const stale = client.set('users', 'user:1', { name: 'Bob' }, { ifMatch: '"1"' })
    await expect(stale).rejects.toMatchObject({ code: 'E_PRECONDITION_FAILED', status: 412 })
    expect(await client.get('users', 'user:1')).toEqual({ name: 'Ada' })
    await client.set('users', 'user:1', { name: 'Bob' }, { ifMatch: written.etag })
    expect(await client.get('users', 'user:1')).toEqual({ name: 'Bob' })

    await client.delete('users', 'user:1')
    expect(await client.get('users', 'user:1')).toBeUndefined()
  })

  it('reads and writes in batches, and keys with characters that need URL encoding', async () => {
    expect(await client.setMany('users', [{ key: 'a/b c', value: 1 }, { key: 'ü?#', value: null, tags: ['t'] }])).toEqual({ written: 2 })
    expect(await client.getMany('users', ['a/b c', 'missing', 'ü?#'])).toEqual([1, undefined, null])
    expect(await client.get('users', 'a/b c')).toBe(1)
  })

  it('invalidates by key and tag; the cache on the gateway really lost the entries', async () => {
    await client.set('users', 'k1', 1, { tags: ['team:x'] })
    await client.set('users', 'k2', 2)
    expect(await client.invalidate('users', { tags: ['team:x'], keys: ['k2'] })).toMatchObject({ namespace: 'users', keys: 1, tags: 1, expireTags: 0, prefixes: 0, all: false, record: { trigger: 'manual', targets: { keys: ['k2'], tags: ['team:x'] } } })
    expect(await gw.cache.namespace('users').get('k1')).toBeUndefined()
    expect(await client.getMany('users', ['k1', 'k2'])).toEqual([undefined, undefined])
  })

  it('manages namespaces through the admin API', async () => {
    const created = await client.putNamespace('sessions', { ttl: 5_000, grace: 1_000 })
    expect(created).toMatchObject({ name: 'sessions', created: true, policy: { ttl: 5_000, grace: 1_000 } })
    expect((await client.putNamespace('sessions', { ttl: 6_000 })).created).toBe(false)
    expect((await client.listNamespaces()).map((ns) => ns.name)).toContain('sessions')
    expect((await client.getNamespace('sessions')).policy.ttl).toBe(6_000)
    await client.deleteNamespace('sessions')
    await expect(client.getNamespace('sessions')).rejects.toMatchObject({ code: 'E_NAMESPACE_NOT_FOUND', status: 404 })
  })

  it('maps problem+json answers to typed errors with the gateway code', async () => {
    const error = await client.set('users', 'k', 1, { ttl: -5 }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(StrataApiError)
    expect(isStrataError(error, 'E_INVALID_REQUEST')).toBe(true)
    expect((error as StrataApiError).problem).toMatchObject({ status: 400, code: 'E_INVALID_REQUEST', instance: '/v1/namespaces/users/keys/k' })
    await expect(client.get('nope', 'k')).rejects.toMatchObject({ code: 'E_NAMESPACE_NOT_FOUND' })
    await expect(client.putNamespace('bad', { writeMode: 'write-through' })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', status: 400 })
  })

  it('publishes events and purges proxy responses', async () => {
    expect(await client.publishEvent({ type: 'nothing.matches', data: { id: 1 } })).toMatchObject({ type: 'nothing.matches', matched: 0, applied: 0, invalidations: [], warning: expect.stringMatching(/^no rule matches event type 'nothing\.matches'/) })
    await expect(client.purge({ url: '/proxy/unknown/x' })).rejects.toMatchObject({ code: 'E_UPSTREAM_NOT_FOUND', status: 404 })
    await expect(client.purge({ surrogateKeys: ['k'] })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', status: 400 })
  })

  it('reports liveness, readiness and metrics', async () => {
    expect(await client.live()).toBe(true)
    expect(await client.ready()).toMatchObject({ status: 'ready' })
    expect(await client.metrics()).toContain('strata_cache_requests_total')
  })

  it('has every SDK route in the gateway OpenAPI document, with the same method and path', async () => {
    const document = (await (await fetch(`${gw.url}/docs/json`)).json()) as { paths: Record<string, Record<string, unknown>> }
    const missing = Object.entries(ROUTES).filter(([, route]) => document.paths[route.path]?.[route.method.toLowerCase()] === undefined)
    expect(missing).toEqual([])
  })
})

describe('StrataClient transport', () => {
  it('sends the API key as a bearer token', async () => {
    let authorization: string | undefined
    const server = await startScriptedServer((request, response) => {
      authorization = request.headers.authorization
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"live"}')
    })
    try {
      await new StrataClient({ baseUrl: server.url, apiKey: 'sk_test_123' }).live()
      expect(authorization).toBe('Bearer sk_test_123')
      await new StrataClient({ baseUrl: server.url }).live()
      expect(authorization).toBeUndefined()
    } finally {
      await server.close()
    }
  })

  it('retries idempotent requests on 503 with backoff, never a POST', async () => {
    const seen: string[] = []
    const server = await startScriptedServer((request, response) => {
      seen.push(request.method!)
      const failing = request.method === 'POST' || seen.filter((method) => method === 'GET').length < 3
      if (failing) {
        response
          .writeHead(503, { 'content-type': 'application/problem+json' })
          .end(JSON.stringify({ type: 'urn:strata:error:E_SHUTTING_DOWN', title: 't', status: 503, detail: 'draining', instance: '/', code: 'E_SHUTTING_DOWN' }))
      } else {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"live"}')
      }
    })
    try {
      const client = new StrataClient({ baseUrl: server.url, retry: { retries: 3, initialDelayMs: 5, maxDelayMs: 20 } })
      expect(await client.live()).toBe(true)
      expect(seen).toEqual(['GET', 'GET', 'GET'])
      seen.length = 0
      await expect(client.invalidate('ns', { all: true })).rejects.toMatchObject({ code: 'E_SHUTTING_DOWN', status: 503 })
      expect(seen).toEqual(['POST'])
    } finally {
      await server.close()
    }
  })

  it('times out each attempt, retries, then fails with E_CLIENT_TIMEOUT', async () => {
    let attempts = 0
    const server = await startScriptedServer(() => {
      attempts++ // never answers
    })
    try {
      const client = new StrataClient({ baseUrl: server.url, timeoutMs: 100, retry: { retries: 1, initialDelayMs: 5 } })
      const error = await client.live().catch((caught: unknown) => caught)
      expect(isStrataError(error, 'E_CLIENT_TIMEOUT')).toBe(true)
      expect(attempts).toBe(2)
    } finally {
      await server.close()
    }
  })

  it('fails with E_CLIENT_UNREACHABLE when nothing listens', async () => {
    const server = await startScriptedServer(() => undefined)
    const url = server.url
    await server.close()
    const error = await new StrataClient({ baseUrl: url, retry: { retries: 0 } }).live().catch((caught: unknown) => caught)
    expect(isStrataError(error, 'E_CLIENT_UNREACHABLE')).toBe(true)
  })
})
