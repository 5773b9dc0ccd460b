import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { requireRedis } from '@strata/testkit'
import { ScriptedOrigin, startGateway, type TestGateway } from './support/harness.js'

/** Range requests answered from a stored complete response (RFC 9110 §14), over real Redis. */
describe('proxy: Range from the store', () => {
  let origin: ScriptedOrigin
  let gw: TestGateway
  let n = 0
  let path = ''
  const body = 'abcdefghijklmnopqrstuvwxyz'
  const lastModified = new Date(Date.now() - 86_400_000).toUTCString()

  beforeAll(async () => {
    await requireRedis()
    origin = await new ScriptedOrigin().start()
    gw = await startGateway({ upstreams: { up: { url: origin.url } } })
  })
  afterAll(async () => {
    await gw.stop()
    await origin.stop()
  })
  beforeEach(async () => {
    path = `/range/${++n}-${Date.now()}`
    origin.on(path, () => ({ headers: { 'cache-control': 'max-age=600', etag: '"abc"', 'last-modified': lastModified, 'content-type': 'text/plain' }, body }))
    await gw.app.inject({ method: 'GET', url: `/proxy/up${path}` })
  })
  const get = (headers: Record<string, string>) => gw.app.inject({ method: 'GET', url: `/proxy/up${path}`, headers })

  it('§14.1.2 one range: 206 with Content-Range and the stored fields, from the store (no origin request)', async () => {
    const answer = await get({ range: 'bytes=2-4' })
    expect(answer.statusCode).toBe(206)
    expect(answer.body).toBe('cde')
    expect(answer.headers['content-range']).toBe('bytes 2-4/26')
    expect(answer.headers.etag).toBe('"abc"')
    expect(answer.headers['cache-status']).toMatch(/^Strata; hit; ttl=\d+$/)
    expect((await get({ range: 'bytes=-3' })).body).toBe('xyz')
    expect((await get({ range: 'bytes=24-' })).body).toBe('yz')
    expect((await get({ range: 'bytes=20-99' })).headers['content-range']).toBe('bytes 20-25/26')
    expect(origin.hitsOf(path)).toBe(1)
  })

  it('§14.6 several ranges: multipart/byteranges with a part per range', async () => {
    const answer = await get({ range: 'bytes=0-1, 5-6' })
    expect(answer.statusCode).toBe(206)
    const type = String(answer.headers['content-type'])
    expect(type).toMatch(/^multipart\/byteranges; boundary=[0-9a-f]+$/)
    const boundary = type.split('boundary=')[1]!
    expect(answer.body).toBe(
      `\r\n--${boundary}\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/26\r\n\r\nab\r\n--${boundary}\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-6/26\r\n\r\nfg\r\n--${boundary}--\r\n`,
    )
  })

  it('§15.5.17 no satisfiable range: 416 with bytes */length; an invalid Range is ignored (200)', async () => {
    const refused = await get({ range: 'bytes=100-200' })
    expect(refused.statusCode).toBe(416)
    expect(refused.headers['content-range']).toBe('bytes */26')
    for (const range of ['bytes=5-2', 'items=0-1', 'bytes=a-b']) {
      const ignored = await get({ range })
      expect(ignored.statusCode, range).toBe(200)
      expect(ignored.body).toBe(body)
    }
  })

  it('§13.1.5 If-Range: a matching strong ETag or Last-Modified gives the part, anything else the whole', async () => {
    expect((await get({ range: 'bytes=0-0', 'if-range': '"abc"' })).statusCode).toBe(206)
    expect((await get({ range: 'bytes=0-0', 'if-range': lastModified })).statusCode).toBe(206)
    expect((await get({ range: 'bytes=0-0', 'if-range': '"other"' })).statusCode).toBe(200)
    expect((await get({ range: 'bytes=0-0', 'if-range': 'W/"abc"' })).statusCode).toBe(200)
  })

  it('a Range for something not stored goes to the origin and its 206 is not stored', async () => {
    const other = `${path}-partial`
    origin.on(other, () => ({ status: 206, headers: { 'content-range': 'bytes 0-0/10', 'cache-control': 'max-age=600' }, body: 'a' }))
    const answer = await gw.app.inject({ method: 'GET', url: `/proxy/up${other}`, headers: { range: 'bytes=0-0' } })
    expect(answer.statusCode).toBe(206)
    expect(answer.headers['cache-status']).toBe('Strata; fwd=bypass; fwd-status=206; detail="range"')
  })
})
