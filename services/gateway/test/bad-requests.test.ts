import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { ApiKeys, Authenticator, MemoryApiKeyStore } from '@strata/security'
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

  function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, status: number, code: string): Record<string, unknown> {
    expect(res.statusCode).toBe(status)
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    // Every error answer carries the API security headers, router errors included.
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'")
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    const body = res.json() as Record<string, unknown>
    expect(body).toMatchObject({ status, code, type: `urn:strata:error:${code}` })
    expect(typeof body.title).toBe('string')
    expect(typeof body.detail).toBe('string')
    expect(typeof body.instance).toBe('string')
    expect(JSON.stringify(body)).not.toMatch(/\n\s+at /)
    return body
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

  it('a key longer than maxParamLength (router 414) → problem+json E_URI_TOO_LONG with the security headers, the URL not echoed', async () => {
    const key = 'q'.repeat(9_000)
    const res = await gw.app.inject({ method: 'GET', url: `/v1/namespaces/small/keys/${key}` })
    expectProblem(res, 414, 'E_URI_TOO_LONG')
    expect(res.body).not.toContain('qqqqqqqq')
  })

  it('a URL that does not decode (router error) → problem+json with the security headers, the URL not echoed', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/v1/namespaces/small/keys/%E0%A4%A-private' })
    expectProblem(res, 400, 'E_INVALID_REQUEST')
    expect(res.body).not.toContain('private')
  })

  it('a wrong method on a known path → 405 E_METHOD_NOT_ALLOWED with Allow, not 404', async () => {
    const res = await gw.app.inject({ method: 'POST', url: '/v1/namespaces/small/keys/k', headers: JSON_HEADERS, payload: json({ value: 1 }) })
    const body = expectProblem(res, 405, 'E_METHOD_NOT_ALLOWED')
    expect(String(res.headers.allow).split(', ')).toEqual(expect.arrayContaining(['DELETE', 'GET', 'HEAD', 'PUT']))
    expect(body.detail).toContain('not POST')
  })

  it('415 says which content type to send (curl -d without one gets a hint)', async () => {
    const res = await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/small/keys/ct', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'value=1' })
    const body = expectProblem(res, 415, 'E_UNSUPPORTED_MEDIA_TYPE')
    expect(body.detail).toContain('Content-Type: application/json')
    expect(body.detail).toContain("-H 'content-type: application/json'")
  })

  it("a typo 'tll' names the unknown property, suggests 'ttl' and lists the allowed ones", async () => {
    const res = await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/small/keys/typo', headers: JSON_HEADERS, payload: json({ value: 1, tll: 5_000 }) })
    const body = expectProblem(res, 400, 'E_INVALID_REQUEST')
    expect(body.detail).toMatch(/^body has an unknown property 'tll' \(did you mean 'ttl'\?\); allowed: value, ttl,/)
    expect(body.errors).toEqual([{ path: '', message: body.detail }])
    await expectNothingWritten('typo')
  })
})

describe('slow clients cannot hold the gateway (real Redis, real sockets)', () => {
  let gw: TestGateway
  let port: number
  let token: string

  beforeAll(async () => {
    await requireRedis()
    const apiKeys = new ApiKeys(new MemoryApiKeyStore())
    token = (await apiKeys.create({ name: 'writer', grants: [{ namespace: 'slow', scopes: ['write'] }] })).token
    gw = await startGateway({
      namespaces: { slow: { ttl: 60_000 } },
      auth: { authenticator: new Authenticator(apiKeys) },
      limits: { requestTimeoutMs: 800 },
    })
    port = Number(new URL(await gw.app.listen({ port: 0, host: '127.0.0.1' })).port)
  })
  afterAll(async () => gw.stop())

  it('JSON nested 10,000 levels deep → 400 E_JSON_TOO_DEEP, not a 500 RangeError', async () => {
    const payload = `{"value":${'['.repeat(10_000)}${']'.repeat(10_000)}}`
    const res = await gw.app.inject({ method: 'PUT', url: '/v1/namespaces/slow/keys/deep', headers: { ...JSON_HEADERS, authorization: `Bearer ${token}` }, payload })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'E_JSON_TOO_DEEP' })
    expect(gw.cache.namespace('slow').stats().sets).toBe(0)
  })

  /** Sends the head of a PUT with a 1,000-byte body, then trickles the body a byte every 50 ms. */
  function trickle(headers: string): Promise<{ response: string; closedAfterMs: number }> {
    return new Promise((resolve) => {
      const started = Date.now()
      const socket = connect(port, '127.0.0.1')
      let response = ''
      const timer = setInterval(() => socket.destroyed || socket.write('1'), 50)
      socket.on('data', (chunk: Buffer) => (response += chunk.toString()))
      socket.on('error', () => undefined)
      socket.on('close', () => {
        clearInterval(timer)
        resolve({ response, closedAfterMs: Date.now() - started })
      })
      setTimeout(() => socket.destroy(), 10_000).unref()
      socket.write(`PUT /v1/namespaces/slow/keys/k HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n${headers}\r\n`)
    })
  }

  it('an immediate 401 closes the connection instead of reading a trickled body', async () => {
    const { response, closedAfterMs } = await trickle('')
    expect(response).toMatch(/^HTTP\/1\.1 401 /)
    expect(closedAfterMs).toBeLessThan(500)
  })

  it('a body that does not arrive within the request timeout → 408 problem+json, connection closed', async () => {
    const { response, closedAfterMs } = await trickle(`Authorization: Bearer ${token}\r\n`)
    expect(response).toMatch(/^HTTP\/1\.1 408 /)
    expect(response).toContain('"code":"E_REQUEST_TIMEOUT"')
    expect(response).toContain("content-security-policy: default-src 'none'")
    expect(closedAfterMs).toBeGreaterThanOrEqual(700)
    expect(closedAfterMs).toBeLessThan(3_000)
    expect(gw.cache.namespace('slow').stats().sets).toBe(0)
  })
})
