import net from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { requireRedis } from '@strata/testkit'
import { ScriptedOrigin, startGateway, type TestGateway } from './support/harness.js'

/**
 * Proxy hardening (issue 21): what reaches the origin when the answer is shared, targets that cannot leave the
 * upstream, malformed targets answered 400 (not 502, and without the HTTP client's words), and origin connections
 * shared fairly between clients with a 503 + Retry-After when the queue is full.
 */
describe('proxy hardening', () => {
  let origin: ScriptedOrigin
  let gw: TestGateway
  let n = 0
  let base = ''
  let port = 0

  beforeAll(async () => {
    await requireRedis()
    origin = await new ScriptedOrigin().start()
    gw = await startGateway({ upstreams: { up: { url: `${origin.url}/base`, forwardHeaders: ['X-Device'] } } })
    port = Number(new URL(await gw.app.listen({ port: 0, host: '127.0.0.1' })).port)
  })
  afterAll(async () => {
    await gw.stop()
    await origin.stop()
  })
  beforeEach(() => {
    base = `/t${++n}-${Date.now()}`
  })
  /** A request line exactly as written (inject and HTTP clients would resolve dot segments first). */
  const raw = (requestLine: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write(`${requestLine}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`))
      let text = ''
      socket.on('data', (chunk) => (text += chunk.toString()))
      socket.on('end', () => resolve({ status: Number(text.slice(9, 12)), body: text.slice(text.indexOf('\r\n\r\n') + 4) }))
      socket.on('error', reject)
    })
  const get = (path: string, headers: Record<string, string> = {}) => gw.app.inject({ method: 'GET', url: `/proxy/up${path}`, headers })
  const lastRequestTo = (path: string) => origin.requests.filter((r) => r.path === `/base${path}`).at(-1)

  describe('request headers on a shareable request', () => {
    it.each([
      ['X_Forwarded_Host', 'evil.example'],
      ['X-Forwarded-Ssl', 'ssl-attack'],
      ['Front-End-Https', 'https-attack'],
      ['X-Original-URI', '/admin'],
      ['X-Forwarded-Uri', '/admin'],
      ['X-Forwarded-Prefix', '/evil'],
      ['X-Envoy-Original-Path', '/admin'],
      ['x_http_method_override', 'DELETE'],
      ['X-Real-IP', '10.0.0.1'],
      ['X-Custom-Flag', 'debug'],
    ])('%s never reaches the origin, so it cannot shape a stored response', async (name, value) => {
      origin.on(`/base${base}/home`, (r) => ({ headers: { 'cache-control': 'public, max-age=600' }, body: JSON.stringify(r.headers) }))
      const attack = await get(`${base}/home`, { [name]: value })
      expect(attack.body).not.toContain(value)
      expect(lastRequestTo(`${base}/home`)?.headers[name.toLowerCase()]).toBeUndefined()
      expect((await get(`${base}/home`)).headers['x-cache']).toBe('HIT')
    })

    it('content negotiation, conditionals and headers the upstream lists in forwardHeaders do reach it', async () => {
      origin.on(`/base${base}/neg`, (r) => ({ headers: { 'cache-control': 'max-age=600', vary: 'Accept-Language, X-Device' }, body: `${String(r.headers['accept-language'])}/${String(r.headers['x-device'])}` }))
      expect((await get(`${base}/neg`, { 'accept-language': 'fr', 'x-device': 'mobile' })).body).toBe('fr/mobile')
      expect((await get(`${base}/neg`, { 'accept-language': 'fr', 'x-device': 'mobile' })).headers['x-cache']).toBe('HIT')
    })

    it('an unsafe request keeps its own headers but never the overrides', async () => {
      origin.on(`/base${base}/form`, (r) => ({ body: `${String(r.headers['x-custom-flag'])}/${String(r.headers['x-forwarded-host'])}` }))
      const answer = await gw.app.inject({ method: 'POST', url: `/proxy/up${base}/form`, headers: { 'content-type': 'text/plain', 'x-custom-flag': 'on', 'x-forwarded-host': 'evil' }, payload: 'x' })
      expect(answer.body).toBe('on/undefined')
    })
  })

  describe('request targets', () => {
    it.each([
      ['/../internal'],
      ['/a/../../internal'],
      ['/%2e%2e/internal'],
      ['/%2E./internal'],
      ['/..%2Finternal'],
      ['/a%2F..%2F..%2Finternal'],
    ])('%s cannot leave the upstream base: 400 E_INVALID_TARGET, the origin is never asked', async (target) => {
      const before = origin.requests.length
      const answer = await raw(`GET /proxy/up${target} HTTP/1.1`)
      expect(answer.status).toBe(400)
      expect(answer.body).toContain('E_INVALID_TARGET')
      expect(origin.requests.length).toBe(before)
    })

    it('dot segments that stay inside are resolved before the cache key and the origin see them', async () => {
      origin.on(`/base${base}/b`, () => ({ headers: { 'cache-control': 'max-age=600' }, body: 'b' }))
      const resolved = await raw(`GET /proxy/up${base}/a/../b HTTP/1.1`)
      expect(resolved, JSON.stringify(resolved)).toMatchObject({ status: 200 })
      expect(resolved.body).toContain('b')
      expect((await get(`${base}/b`)).headers['x-cache']).toBe('HIT')
    })

    it('a percent-encoded upstream name is a 400, not a 502 with the client library message', async () => {
      const answer = await gw.app.inject({ method: 'GET', url: `/proxy/%75p${base}/x` })
      expect(answer.statusCode).toBe(400)
      expect(answer.json().code).toBe('E_INVALID_TARGET')
    })

    it('an absolute-form target (sent on a real socket) is a 4xx problem, never a 502', async () => {
      const reply = await raw(`GET http://evil.example/proxy/up${base}/x HTTP/1.1`)
      expect(reply.status).toBeGreaterThanOrEqual(400)
      expect(reply.status).toBeLessThan(500)
      expect(reply.body).not.toMatch(/UND_ERR|invalid path|undici/i)
    })
  })

  describe('origin connections shared fairly', () => {
    it("one client's flood of slow misses does not starve another client", async () => {
      const slow = await startGateway({ upstreams: { slow: { url: origin.url, connections: 4, connectionsPerClient: 2, queueLimit: 12 } } })
      try {
        origin.on(`${base}/slow`, async () => {
          await new Promise((r) => setTimeout(r, 250))
          return { headers: { 'cache-control': 'no-store' }, body: 'slow' }
        })
        const ask = (ip: string, i: number) => slow.app.inject({ method: 'GET', url: `/proxy/slow${base}/slow?i=${i}`, remoteAddress: ip })
        const started = Date.now()
        const flood = Array.from({ length: 12 }, (_, i) => ask('10.0.0.1', i).then((r) => ({ status: r.statusCode, at: Date.now() - started, retryAfter: r.headers['retry-after'] })))
        await new Promise((r) => setTimeout(r, 20))
        const other = await ask('10.0.0.2', 99)
        const otherAt = Date.now() - started
        const results = await Promise.all(flood)
        expect(other.statusCode).toBe(200)
        // The other client got a free connection at once (one origin round trip), while the flood took its share.
        expect(otherAt).toBeLessThan(250 * 2)
        // The flood is served too, two at a time (its share of four connections): six rounds of 250 ms.
        expect(results.every((r) => r.status === 200)).toBe(true)
        expect(Math.max(...results.map((r) => r.at))).toBeGreaterThan(250 * 5)
      } finally {
        await slow.stop()
      }
    })

    it('a full queue answers 503 E_UPSTREAM_BUSY with Retry-After', async () => {
      const tiny = await startGateway({ upstreams: { tiny: { url: origin.url, connections: 1, queueLimit: 1 } } })
      try {
        origin.on(`${base}/wait`, async () => {
          await new Promise((r) => setTimeout(r, 200))
          return { headers: { 'cache-control': 'no-store' }, body: 'ok' }
        })
        const answers = await Promise.all([1, 2, 3].map((i) => tiny.app.inject({ method: 'GET', url: `/proxy/tiny${base}/wait?i=${i}` })))
        expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 503])
        const busy = answers.find((a) => a.statusCode === 503)!
        expect(busy.json().code).toBe('E_UPSTREAM_BUSY')
        expect(busy.headers['retry-after']).toBe('1')
      } finally {
        await tiny.stop()
      }
    })
  })
})
