import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { requireRedis, servers } from '@strata/testkit'
import { json, startGateway, type TestGateway } from './support/harness.js'

const JSON_HEADERS = { 'content-type': 'application/json' }

/** Each bad request gets a 4xx problem+json with a code, and the store is unchanged afterwards. */
describe('bad requests are refused with problem+json and write nothing (real Redis)', () => {
  let gw: TestGateway
  let address: string

  beforeAll(async () => {
    await requireRedis()
    gw = await startGateway({
      namespaces: { small: { ttl: 60_000, maxKeyLength: 16, maxValueBytes: 256 } },
      limits: { bodyLimit: 4_096, maxHeaderSize: 2_048 },
    })
    address = await gw.app.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(async () => gw.stop())

  /** Straight from Redis: no key at all under the namespace's prefix, and no set counted. */
  async function expectNothingWritten(key: string): Promise<void> {
    const redis = new Redis(servers.redisUrl)
    try {
      expect(await redis.keys(`${gw.prefix}:small:*`), key).toEqual([])
    } finally {
      redis.disconnect()
    }
    expect(gw.cache.namespace('small').stats().sets).toBe(0)
  }

  function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, status: number, code: string): void {
    expect(res.statusCode).toBe(status)
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    const body = res.json() as Record<string, unknown>
    expect(body).toMatchObject({ status, code, type: `urn:strata:error:${code}` })
    expect(typeof body.title).toBe('string')
    expect(typeof body.detail).toBe('string')
    expect(typeof body.instance).toBe('string')
    expect(JSON.stringify(body)).not.toMatch(/\n\s+at /)
  }

  it('oversized key → 414 E_KEY_TOO_LONG', async () => {
    const key = 'k'.repeat(17)
    const res = await gw.app.inject({ method: 'PUT', url: `/v1/namespaces/small/keys/${key}`, headers: JSON_HEADERS, payload: json({ value: 1 }) })
    expectProblem(res, 414, 'E_KEY_TOO_LONG')
    await expectNothingWritten(key)
  })

  it('oversized value → 413 E_VALUE_TOO_LARGE (namespace maxValueBytes)', async () => {
    const res = await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/small/keys/big', headers: JSON_HEADERS, payload: json({ value: 'x'.repeat(1_000) }) })
    expectProblem(res, 413, 'E_VALUE_TOO_LARGE')
    await expectNothingWritten('big')
  })

  it('oversized body → 413 E_BODY_TOO_LARGE (gateway bodyLimit)', async () => {
    const res = await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/small/keys/body', headers: JSON_HEADERS, payload: json({ value: 'x'.repeat(10_000) }) })
    expectProblem(res, 413, 'E_BODY_TOO_LARGE')
    await expectNothingWritten('body')
  })

  it('oversized headers → 431 E_HEADERS_TOO_LARGE (Node maxHeaderSize, over a real socket)', async () => {
    const answer = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = httpRequest(`${address}/v1/namespaces/small/keys/h`, { method: 'PUT', headers: { ...JSON_HEADERS, 'x-big': 'y'.repeat(4_000) } }, (res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => (body += chunk.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }))
      })
      req.on('error', reject)
      req.end(json({ value: 1 }))
    })
    expect(answer.status).toBe(431)
    expect(answer.type).toContain('application/problem+json')
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'E_HEADERS_TOO_LARGE', status: 431 })
    await expectNothingWritten('h')
  })

  it('bad TTL → 400 (schema: negative, zero, not an integer)', async () => {
    for (const ttl of [-1, 0, 1.5, 'soon']) {
      const res = await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/small/keys/t', headers: JSON_HEADERS, payload: json({ value: 1, ttl }) })
      expectProblem(res, 400, 'E_INVALID_REQUEST')
    }
    // Past the namespace's maxTtl: the engine refuses it.
    const tooLong = await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/small/keys/t', headers: JSON_HEADERS, payload: json({ value: 1, ttl: 40 * 24 * 3_600_000 }) })
    expectProblem(tooLong, 400, 'E_INVALID_TTL')
    await expectNothingWritten('t')
  })

  it('unknown namespace → 404 E_NAMESPACE_NOT_FOUND, and nothing is created', async () => {
    const res = await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/nope/keys/k', headers: JSON_HEADERS, payload: json({ value: 1 }) })
    expectProblem(res, 404, 'E_NAMESPACE_NOT_FOUND')
    expect(gw.cache.listNamespaces()).not.toContain('nope')
  })

  it('malformed JSON → 400 E_MALFORMED_JSON', async () => {
    const res = await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/small/keys/m', headers: JSON_HEADERS, payload: '{"value": ' })
    expectProblem(res, 400, 'E_MALFORMED_JSON')
    await expectNothingWritten('m')
  })

  it('wrong content type → 415 E_UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/small/keys/ct', headers: { 'content-type': 'text/plain' }, payload: 'hello' })
    expectProblem(res, 415, 'E_UNSUPPORTED_MEDIA_TYPE')
    await expectNothingWritten('ct')
  })

  it('body not matching the schema (missing value, unknown field, bad tag) → 400 E_INVALID_REQUEST', async () => {
    for (const payload of [{}, { value: 1, extra: true }, { value: 1, tags: [''] }]) {
      const res = await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/small/keys/s', headers: JSON_HEADERS, payload: json(payload) })
      expectProblem(res, 400, 'E_INVALID_REQUEST')
    }
    await expectNothingWritten('s')
  })

  it('a bad namespace name in the path → 400; an unknown route → 404 E_ROUTE_NOT_FOUND', async () => {
    expectProblem(await gw.app.inject({ method: 'GET', url: '/v1/namespaces/-bad/keys/k' }), 400, 'E_INVALID_REQUEST')
    expectProblem(await gw.app.inject({ method: 'GET', url: '/v2/whatever' }), 404, 'E_ROUTE_NOT_FOUND')
  })
})
