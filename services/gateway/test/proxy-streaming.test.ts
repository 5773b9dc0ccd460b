import { createHash } from 'node:crypto'
import http from 'node:http'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireRedis } from '@strata/testkit'
import { ScriptedOrigin, startGateway, type TestGateway } from './support/harness.js'

const MiB = 1024 * 1024
const CHUNK = 64 * 1024

/** Byte i of every generated body is (i * 31) mod 251: a 64 KiB chunk starting anywhere is a slice of this. */
const PATTERN = Buffer.from(Array.from({ length: CHUNK + 251 }, (_, i) => (i * 31) % 251))

/** `size` bytes made on demand (never held whole). */
function generated(size: number): Readable {
  let sent = 0
  return new Readable({
    read() {
      if (sent >= size) return void this.push(null)
      const length = Math.min(CHUNK, size - sent)
      const offset = sent % 251
      sent += length
      this.push(PATTERN.subarray(offset, offset + length))
    },
  })
}

function digestOfGenerated(size: number): Promise<string> {
  const hash = createHash('sha256')
  return new Promise((resolve, reject) => {
    generated(size)
      .on('data', (chunk: Buffer) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject)
  })
}

interface Streamed {
  status: number
  headers: http.IncomingHttpHeaders
  bytes: number
  digest: string
  /** Largest growth of this process's RSS over its value before the request, sampled while the body flowed. */
  rssGrowth: number
}

/** GETs over a real socket, reading the body as a stream (counted and hashed, never kept). */
function streamGet(url: string): Promise<Streamed> {
  const before = process.memoryUsage().rss
  let peak = before
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 20)
  return new Promise<Streamed>((resolve, reject) => {
    http
      .get(url, (response) => {
        const hash = createHash('sha256')
        let bytes = 0
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length
          hash.update(chunk)
        })
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, bytes, digest: hash.digest('hex'), rssGrowth: Math.max(peak, process.memoryUsage().rss) - before }))
        response.on('error', reject)
      })
      .on('error', reject)
  }).finally(() => clearInterval(sampler))
}

/**
 * An answer larger than the upstream's maxBodyBytes (by its Content-Length, or by what has arrived once it passes
 * the limit) flows to the client as it arrives: not held in memory, not stored, and Cache-Status says why.
 */
describe('proxy streaming and the largest stored body', () => {
  let origin: ScriptedOrigin
  let gw: TestGateway
  let base = ''

  beforeAll(async () => {
    await requireRedis()
    origin = await new ScriptedOrigin().start()
    gw = await startGateway({ upstreams: { up: { url: origin.url, maxBodyBytes: MiB } } })
    base = `${await gw.app.listen({ port: 0, host: '127.0.0.1' })}/proxy/up`
  })
  afterAll(async () => {
    await gw.stop()
    await origin.stop()
  })

  it('a 200 MiB cacheable answer with Content-Length streams through: all bytes, RSS growth far below its size', async () => {
    const size = 200 * MiB
    const path = `/big-${Date.now()}`
    const serve = (at: string, length: number) =>
      origin.on(at, () => ({ headers: { 'cache-control': 'max-age=600', 'content-length': String(length), 'content-type': 'application/octet-stream' }, body: generated(length) }))
    serve(`${path}-warm`, 16 * MiB)
    serve(path, size)
    // A smaller transfer first warms sockets, buffers and compiled code, so what is measured is the transfer itself.
    expect((await streamGet(`${base}${path}-warm`)).bytes).toBe(16 * MiB)
    const answer = await streamGet(`${base}${path}`)
    expect(answer.status).toBe(200)
    expect(answer.bytes).toBe(size)
    expect(answer.headers['content-length']).toBe(String(size))
    expect(answer.digest).toBe(await digestOfGenerated(size))
    expect(answer.headers['x-cache']).toBe('MISS')
    expect(answer.headers['cache-status']).toBe('Strata; fwd=uri-miss; fwd-status=200; detail="not stored: too-large"')
    // A generous behaviour bound: buffering the body (what happened before) grows RSS by at least its 200 MiB.
    expect(answer.rssGrowth, `RSS grew ${(answer.rssGrowth / MiB).toFixed(1)} MiB`).toBeLessThan(64 * MiB)
  }, 120_000)

  it('a chunked answer that passes the limit while arriving streams whole and is not stored; a smaller one is', async () => {
    const size = 3 * MiB + 12_345
    const path = `/chunked-${Date.now()}`
    origin.on(path, () => ({ headers: { 'cache-control': 'max-age=600' }, body: generated(size) }))
    for (let round = 1; round <= 2; round++) {
      const answer = await streamGet(`${base}${path}`)
      expect(answer.bytes).toBe(size)
      expect(answer.digest).toBe(await digestOfGenerated(size))
      expect(answer.headers['cache-status']).toBe('Strata; fwd=uri-miss; fwd-status=200; detail="not stored: too-large"')
      expect(origin.hitsOf(path)).toBe(round)
    }

    const small = `/small-${Date.now()}`
    origin.on(small, () => ({ headers: { 'cache-control': 'max-age=600' }, body: generated(MiB - 1) }))
    expect((await streamGet(`${base}${small}`)).headers['x-cache']).toBe('MISS')
    const hit = await streamGet(`${base}${small}`)
    expect(hit.headers['x-cache']).toBe('HIT')
    expect(hit.digest).toBe(await digestOfGenerated(MiB - 1))
    expect(origin.hitsOf(small)).toBe(1)
  })

  it('a client that goes away mid-stream frees the origin connection it held', async () => {
    const single = await startGateway({ upstreams: { one: { url: origin.url, maxBodyBytes: MiB, connections: 1, timeoutMs: 2_000 } } })
    try {
      const at = `${await single.app.listen({ port: 0, host: '127.0.0.1' })}/proxy/one`
      const path = `/abandoned-${Date.now()}`
      origin.on(path, () => ({ headers: { 'content-length': String(64 * MiB) }, body: generated(64 * MiB) }))
      origin.on(`${path}-next`, () => ({ body: 'next' }))
      await new Promise<void>((resolve, reject) => {
        const request = http.get(`${at}${path}`, (response) => {
          response.once('data', () => {
            request.destroy()
            resolve()
          })
        })
        request.on('error', () => undefined)
        request.setTimeout(5_000, () => reject(new Error('no body arrived')))
      })
      // With its only connection still held, this would wait out the 2 s queue limit and answer 503.
      const next = await single.app.inject({ method: 'GET', url: `/proxy/one${path}-next` })
      expect(next.statusCode).toBe(200)
      expect(next.body).toBe('next')
    } finally {
      await single.stop()
    }
  })

  it('a stored response whose revalidation brings a too-large body streams it and is dropped from the store', async () => {
    const path = `/grows-${Date.now()}`
    let size = 1_000
    origin.on(path, () => ({ headers: { 'cache-control': 'max-age=0', etag: `"${size}"` }, body: generated(size) }))
    expect((await streamGet(`${base}${path}`)).headers['cache-status']).toMatch(/^Strata; fwd=uri-miss; fwd-status=200; stored/)
    size = 2 * MiB
    const grown = await streamGet(`${base}${path}`)
    expect(grown.bytes).toBe(size)
    expect(grown.headers['cache-status']).toBe('Strata; fwd=stale; fwd-status=200; detail="not stored: too-large"')
    size = 10
    expect((await streamGet(`${base}${path}`)).headers['cache-status']).toMatch(/^Strata; fwd=uri-miss; fwd-status=200; stored/)
  })
})
