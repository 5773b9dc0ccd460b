import { connect } from 'node:net'
import { Type } from '@sinclair/typebox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKeys, Authenticator, MemoryApiKeyStore } from '@strata/security'
import { StrataError } from '@strata/core'
import { createServiceShell, type ServiceShell } from '../src/index.js'

const PROBLEM = 'application/problem+json; charset=utf-8'

/** Raw HTTP over a socket: what Node's parser and timeouts do is only seen there (inject bypasses them). */
function rawExchange(port: number, head: string, trickle?: { bytes: number; everyMs: number }): Promise<{ response: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const socket = connect(port, '127.0.0.1')
    let response = ''
    let sent = 0
    const timer = trickle === undefined ? undefined : setInterval(() => {
      if (!socket.destroyed && sent++ < trickle.bytes) socket.write('1')
    }, trickle.everyMs)
    socket.on('data', (chunk: Buffer) => (response += chunk.toString('utf8')))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearInterval(timer)
      resolve({ response, closedAfterMs: Date.now() - started })
    })
    socket.setTimeout(10_000, () => {
      clearInterval(timer)
      socket.destroy()
      reject(new Error(`socket still open after 10 s; got ${JSON.stringify(response.slice(0, 200))}`))
    })
    socket.write(head)
  })
}

describe('the service shell: one problem+json edge for every service', () => {
  let shell: ServiceShell
  let port: number
  let token: string
  let ready = true

  beforeAll(async () => {
    const apiKeys = new ApiKeys(new MemoryApiKeyStore())
    token = (await apiKeys.create({ name: 'writer', grants: [{ namespace: '*', scopes: ['admin'] }] })).token
    shell = createServiceShell({
      name: 'test-service',
      auth: { authenticator: new Authenticator(apiKeys) },
      limits: { maxParamLength: 64, bodyLimit: 64 * 1024, requestTimeoutMs: 600, maxJsonDepth: 32 },
      checks: { store: () => ready, slow: () => new Promise<boolean>(() => undefined) },
      checkTimeoutMs: 200,
    })
    const Body = Type.Object(
      { value: Type.Unknown(), ttl: Type.Optional(Type.Integer({ minimum: 1 })), mode: Type.Optional(Type.Union([Type.Literal('fast'), Type.Literal('safe')])) },
      { additionalProperties: false },
    )
    const open = { config: { auth: 'public' as const } }
    shell.app.put('/v1/things/:name', { ...open, schema: { body: Body } }, (request) => ({ stored: request.params, body: request.body }))
    shell.app.get('/v1/things/:name', open, (request) => request.params)
    shell.app.post('/v1/guarded', { config: { auth: { scope: 'write', namespace: '*' } } }, () => ({ ok: true }))
    shell.app.post('/v1/open', open, () => ({ ok: true }))
    // A dependency away for a moment (a Redis failover, a broker restart): 503 with Retry-After, whatever the code.
    shell.app.get('/v1/unavailable/:code', open, (request) => {
      const { code } = request.params as { code: 'E_L2_UNAVAILABLE' | 'E_BUS_UNAVAILABLE' | 'E_BACKPRESSURE' }
      throw new StrataError(code, 'away for a moment', code === 'E_BACKPRESSURE' ? { context: { retryAfterMs: 2_500 } } : {})
    })
    shell.app.get('/v1/crash', open, () => {
      throw new Error('database password is hunter2')
    })
    await shell.app.ready()
    const address = await shell.listen({ host: '127.0.0.1', port: 0 })
    port = Number(new URL(address).port)
  })
  afterAll(async () => shell.close())

  function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number, code: string): Record<string, unknown> {
    expect(res.statusCode, res.body).toBe(status)
    expect(res.headers['content-type']).toBe(PROBLEM)
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'")
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    const body = JSON.parse(res.body) as Record<string, unknown>
    expect(body).toMatchObject({ status, code, type: `urn:strata:error:${code}` })
    return body
  }

  it('a dependency that cannot be reached → 503 problem+json with Retry-After (1 s unless the error says when)', async () => {
    for (const [code, retryAfter] of [['E_L2_UNAVAILABLE', '1'], ['E_BUS_UNAVAILABLE', '1'], ['E_BACKPRESSURE', '3']] as const) {
      const response = await shell.app.inject({ method: 'GET', url: `/v1/unavailable/${code}` })
      expect(response.statusCode, code).toBe(503)
      expect(response.headers['content-type']).toBe(PROBLEM)
      expect(response.json()).toMatchObject({ code, status: 503 })
      expect(response.headers['retry-after'], code).toBe(retryAfter)
    }
  })

  it('a path segment over maxParamLength → 414 problem+json with the security headers, the URL not echoed', async () => {
    const long = 'x'.repeat(5_000)
    const res = await shell.app.inject({ method: 'GET', url: `/v1/things/${long}` })
    expectProblem(res, 414, 'E_URI_TOO_LONG')
    expect(res.body).not.toContain('xxxxxxxxxx')
    expect(res.headers.connection).toBe('close')
  })

  it('a URL that does not decode → 400 problem+json with the security headers, not echoed', async () => {
    const res = await shell.app.inject({ method: 'GET', url: '/v1/things/%E0%A4%A_secret-path' })
    const body = expectProblem(res, 400, 'E_INVALID_REQUEST')
    expect(JSON.stringify(body)).not.toContain('secret-path')
  })

  it('malformed JSON and a body over the limit → problem+json with the security headers', async () => {
    expectProblem(await shell.app.inject({ method: 'PUT', url: '/v1/things/a', headers: { 'content-type': 'application/json' }, payload: '{"value": ' }), 400, 'E_MALFORMED_JSON')
    expectProblem(
      await shell.app.inject({ method: 'PUT', url: '/v1/things/a', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ value: 'x'.repeat(70_000) }) }),
      413,
      'E_BODY_TOO_LARGE',
    )
  })

  it('JSON nested 10,000 levels deep → 400 E_JSON_TOO_DEEP (not a 500 RangeError); nesting within the limit is fine', async () => {
    const deep = `{"value":${'['.repeat(10_000)}${']'.repeat(10_000)}}`
    const res = await shell.app.inject({ method: 'PUT', url: '/v1/things/a', headers: { 'content-type': 'application/json' }, payload: deep })
    expectProblem(res, 400, 'E_JSON_TOO_DEEP')
    // Brackets inside strings are not nesting.
    const shallow = JSON.stringify({ value: [[[['[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[']]]] })
    expect((await shell.app.inject({ method: 'PUT', url: '/v1/things/a', headers: { 'content-type': 'application/json' }, payload: shallow })).statusCode).toBe(200)
  })

  it('a wrong method on a known path → 405 with Allow; an unknown path → 404, both with a code (to a signed-in caller)', async () => {
    const authorization = `Bearer ${token}`
    // Without credentials an unknown route stays closed: nobody maps the API without a key.
    expectProblem(await shell.app.inject({ method: 'DELETE', url: '/v1/things/a' }), 401, 'E_UNAUTHENTICATED')
    const res = await shell.app.inject({ method: 'DELETE', url: '/v1/things/a', headers: { authorization } })
    const body = expectProblem(res, 405, 'E_METHOD_NOT_ALLOWED')
    expect(res.headers.allow).toBe('GET, HEAD, PUT')
    expect(body.detail).toContain('GET, HEAD, PUT')
    expectProblem(await shell.app.inject({ method: 'GET', url: '/v2/nothing', headers: { authorization } }), 404, 'E_ROUTE_NOT_FOUND')
  })

  it('415 names the type the route takes and what curl -d sends', async () => {
    const res = await shell.app.inject({ method: 'PUT', url: '/v1/things/a', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'value=1' })
    const body = expectProblem(res, 415, 'E_UNSUPPORTED_MEDIA_TYPE')
    expect(body.detail).toContain('Content-Type: application/json')
    expect(body.detail).toContain('curl -d')
  })

  it('a typo in a property names it, suggests the right one and lists the allowed ones; a bad literal lists the values', async () => {
    const typo = await shell.app.inject({ method: 'PUT', url: '/v1/things/a', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ value: 1, tll: 5 }) })
    const body = expectProblem(typo, 400, 'E_INVALID_REQUEST')
    expect(body.detail).toBe("body has an unknown property 'tll' (did you mean 'ttl'?); allowed: value, ttl, mode")
    expect(body.errors).toEqual([{ path: '', message: body.detail }])
    const literal = await shell.app.inject({ method: 'PUT', url: '/v1/things/a', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ value: 1, mode: 'quick' }) })
    expect(expectProblem(literal, 400, 'E_INVALID_REQUEST').detail).toBe("body.mode must be one of 'fast', 'safe' (got 'quick')")
    const missing = await shell.app.inject({ method: 'PUT', url: '/v1/things/a', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ ttl: 'soon' }) })
    expect(expectProblem(missing, 400, 'E_INVALID_REQUEST').detail).toMatch(/missing the required property 'value'|body.ttl must be an integer/)
  })

  it('our own failures answer 500 with a generic detail (never the message or a stack)', async () => {
    const res = await shell.app.inject({ method: 'GET', url: '/v1/crash' })
    expectProblem(res, 500, 'E_INTERNAL')
    expect(res.body).not.toContain('hunter2')
  })

  it('a trickled body after an immediate 401 does not hold the connection', async () => {
    const { response, closedAfterMs } = await rawExchange(
      port,
      'POST /v1/guarded HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
      { bytes: 1000, everyMs: 50 },
    )
    expect(response).toMatch(/^HTTP\/1\.1 401 /)
    expect(response.toLowerCase()).toContain('connection: close')
    expect(closedAfterMs).toBeLessThan(400)
  })

  it('a body trickled past the request timeout → 408 problem+json with the security headers, connection closed', async () => {
    const { response, closedAfterMs } = await rawExchange(
      port,
      'POST /v1/open HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
      { bytes: 1000, everyMs: 50 },
    )
    expect(response).toMatch(/^HTTP\/1\.1 408 /)
    expect(response).toContain(`Content-Type: ${PROBLEM}`)
    expect(response).toContain("content-security-policy: default-src 'none'")
    expect(response).toContain('"code":"E_REQUEST_TIMEOUT"')
    // requestTimeoutMs 600, checked every 150 ms.
    expect(closedAfterMs).toBeGreaterThanOrEqual(500)
    expect(closedAfterMs).toBeLessThan(3_000)
  })

  it('request ids: a sane x-request-id is kept and echoed on error answers; anything else is replaced', async () => {
    expect((await shell.app.inject({ url: '/v1/crash', headers: { 'x-request-id': 'abc-123' } })).headers['x-request-id']).toBe('abc-123')
    const replaced = (await shell.app.inject({ url: '/v1/crash', headers: { 'x-request-id': 'a b<script>' } })).headers['x-request-id']
    expect(replaced).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/)
  })

  it('readiness names each check; a hung check is down after the check timeout; draining fails readiness', async () => {
    const unready = await shell.app.inject('/health/ready')
    expect(unready.statusCode).toBe(503)
    expect(unready.json()).toEqual({ status: 'unready', checks: { store: { status: 'up' }, slow: { status: 'down', detail: 'no answer within 200 ms' } } })
    shell.addCheck('slow', () => ({ up: true, detail: 'fine now' }))
    ready = false
    expect((await shell.app.inject('/health/ready')).json()).toEqual({ status: 'unready', checks: { store: { status: 'down' }, slow: { status: 'up', detail: 'fine now' } } })
    ready = true
    expect((await shell.app.inject('/health/ready')).statusCode).toBe(200)
    expect((await shell.app.inject('/health/live')).json()).toEqual({ status: 'live' })
  })

  it('/metrics has the Node process metrics under their standard names and request durations by route', async () => {
    const res = await shell.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } })
    expect(res.statusCode).toBe(200)
    expect(res.body).toMatch(/^process_resident_memory_bytes \d+/m)
    expect(res.body).toContain('nodejs_eventloop_lag_p99_seconds')
    expect(res.body).toMatch(/strata_http_request_duration_seconds_count\{method="GET",route="\/health\/live",status_code="200"\} \d+/)
    expect((await shell.app.inject('/metrics')).statusCode).toBe(401)
  })
})

describe('graceful close', () => {
  it('lets the request in flight finish, answers 503 E_SHUTTING_DOWN meanwhile, and fails readiness first', async () => {
    const shell = createServiceShell({ name: 'closing' })
    let release!: () => void
    let entered!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const inHandler = new Promise<void>((resolve) => (entered = resolve))
    shell.app.get('/slow', { config: { auth: 'public' } }, async () => {
      entered()
      await held
      return { done: true }
    })
    const address = await shell.listen({ host: '127.0.0.1', port: 0 })
    const inFlight = fetch(`${address}/slow`)
    await inHandler
    shell.drain()
    expect((await shell.app.inject('/health/ready')).json()).toEqual({ status: 'unready', checks: { closing: { status: 'down', detail: 'draining for shutdown' } } })
    const closed = shell.close()
    const meanwhile = await shell.app.inject('/health/live')
    expect(meanwhile.statusCode).toBe(503)
    expect(meanwhile.json()).toMatchObject({ code: 'E_SHUTTING_DOWN' })
    release()
    expect(await (await inFlight).json()).toEqual({ done: true })
    await closed
  })
})

describe('request logs', () => {
  it('carry the request id and the redaction on every line a request writes, with the child made only then', async () => {
    const { Writable } = await import('node:stream')
    const { pino } = await import('pino')
    const lines: Record<string, unknown>[] = []
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
        done()
      },
    })
    const logger = pino({ level: 'info', redact: ['token'] }, stream)
    let children = 0
    const child = logger.child.bind(logger)
    logger.child = ((...args: Parameters<typeof child>) => {
      children++
      return child(...args)
    }) as typeof logger.child
    const shell = createServiceShell({ name: 'logtest', logger, processMetrics: false })
    shell.app.get('/quiet', () => ({ ok: true }))
    shell.app.get('/loud', (request) => {
      request.log.warn({ token: 'secret-value' }, 'something to say')
      return { ok: true }
    })
    await shell.app.ready()
    children = 0
    expect((await shell.app.inject({ url: '/quiet', headers: { 'x-request-id': 'quiet-1' } })).statusCode).toBe(200)
    expect(children).toBe(0)
    expect((await shell.app.inject({ url: '/loud', headers: { 'x-request-id': 'loud-1' } })).statusCode).toBe(200)
    expect(children).toBe(1)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ msg: 'something to say', request_id: 'loud-1', token: '[Redacted]' })
    await shell.app.close()
  })
})
