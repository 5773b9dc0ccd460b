import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireRedis } from '@strata/testkit'
import { startGateway, type TestGateway } from './support/harness.js'
import { RawOrigin } from './support/raw-origin.js'

interface Seen {
  interim: { status: number; headers: http.IncomingHttpHeaders }[]
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

/** A GET over a real connection, recording the 1xx answers before the final one (fetch and inject hide them). */
function get(base: string, path: string): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const interim: Seen['interim'] = []
    const request = http.get(`${base}${path}`, (response) => {
      let body = ''
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ interim, status: response.statusCode ?? 0, headers: response.headers, body }))
    })
    request.on('information', (info) => interim.push({ status: info.statusCode, headers: info.headers }))
    request.on('error', reject)
  })
}

/**
 * RFC 9110 §15.2 (issue 21): 1xx answers are relayed, not stored. An origin sends 103 Early Hints before its 200; the
 * client of the miss gets the hints first, then the answer; a hit is served without them (they were never stored),
 * and so is the request that only joins.
 */
describe('proxy relays 103 Early Hints', () => {
  let origin: RawOrigin
  let gw: TestGateway
  let base = ''

  beforeAll(async () => {
    await requireRedis()
    origin = await new RawOrigin().start()
    origin.on(() =>
      [
        'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n',
        'HTTP/1.1 200 OK\r\nCache-Control: max-age=600\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello',
      ].join(''),
    )
    gw = await startGateway({ upstreams: { up: { url: origin.url, timeoutMs: 2_000 } } })
    base = await gw.app.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(async () => {
    await gw.stop()
    await origin.stop()
  })

  it('the miss gets the 103 with its Link before the 200; the hit gets the 200 alone', async () => {
    const path = `/proxy/up/page-${Date.now()}`
    const miss = await get(base, path)
    expect(miss.interim).toEqual([{ status: 103, headers: expect.objectContaining({ link: '</style.css>; rel=preload; as=style' }) }])
    expect([miss.status, miss.body, miss.headers['x-cache']]).toEqual([200, 'hello', 'MISS'])
    const hit = await get(base, path)
    expect([hit.interim, hit.status, hit.body, hit.headers['x-cache']]).toEqual([[], 200, 'hello', 'HIT'])
  })
})
