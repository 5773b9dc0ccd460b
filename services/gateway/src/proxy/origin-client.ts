import { Readable, finished } from 'node:stream'
import { Pool } from 'undici'
import { StrataError } from '@strata/core'
import { OriginGate, type OriginGateOptions } from './origin-gate.js'

/** A 1xx interim answer (RFC 9110 §15.2) the origin sent before its final one, end-to-end fields only. */
export type InterimListener = (status: number, headers: Record<string, string | string[]>) => void

export interface OriginResponse {
  status: number
  headers: Record<string, string | string[]>
  /**
   * The whole body when it is at most the client's `bufferLimit`; a larger one as a stream of all its bytes, read
   * once by whoever answers the client (or destroyed): it holds an origin connection until it ends.
   */
  body: Buffer | Readable
}

/** Hop-by-hop fields (RFC 9110 §7.6.1): never forwarded and never stored. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length'])

export function endToEndHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const listed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((f) => f.trim().toLowerCase())
      .filter((f) => f !== ''),
  )
  const result: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase()
    if (value === undefined || HOP_BY_HOP.has(lower) || listed.has(lower)) continue
    result[lower] = value
  }
  return result
}

/** One upstream origin over a keep-alive connection pool, with header and body timeouts, behind a fair gate. */
export class OriginClient {
  private readonly pool: Pool
  private readonly basePath: string
  readonly gate: OriginGate

  constructor(
    readonly name: string,
    baseUrl: string,
    private readonly timeoutMs: number,
    connections = 16,
    fairness: Partial<Omit<OriginGateOptions, 'limit'>> = {},
    /** Bodies up to this many bytes are read into memory; larger ones stream. */
    private readonly bufferLimit = Number.POSITIVE_INFINITY,
  ) {
    const url = new URL(baseUrl)
    this.basePath = url.pathname.replace(/\/$/, '')
    this.pool = new Pool(url.origin, { connections, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, keepAliveTimeout: 10_000 })
    this.gate = new OriginGate(name, {
      limit: connections,
      perClient: fairness.perClient ?? Math.max(1, Math.ceil(connections / 2)),
      maxQueued: fairness.maxQueued ?? connections * 64,
      maxWaitMs: fairness.maxWaitMs ?? timeoutMs,
    })
  }

  /**
   * `client` is who the request is for (a principal or an address): the gate shares connections fairly between
   * clients. Errors never carry the HTTP client library's message (it would reach the caller in the problem detail):
   * they say what happened in the origin's terms, with the original error as `cause` for the logs.
   */
  async request(method: string, path: string, headers: Record<string, string | string[]>, body?: Buffer, client = 'anonymous', onInterim?: InterimListener): Promise<OriginResponse> {
    const release = await this.gate.acquire(client)
    // The whole exchange has timeoutMs, unless the body streams: then undici's bodyTimeout (between chunks) bounds it,
    // since a large body may take longer than any request should to a slow client.
    const deadline = new AbortController()
    const timer = setTimeout(() => deadline.abort(new DOMException(`no answer within ${this.timeoutMs} ms`, 'TimeoutError')), this.timeoutMs)
    let streaming = false
    try {
      const response = await this.pool.request({
        method,
        path: this.basePath + path,
        headers,
        body,
        signal: deadline.signal,
        ...(onInterim === undefined ? {} : { onInfo: (info: { statusCode: number; headers: Record<string, string | string[]> }) => onInterim(info.statusCode, endToEndHeaders(info.headers)) }),
      })
      const answer = { status: response.statusCode, headers: endToEndHeaders(response.headers) }
      // RFC 9110 §6.4.1: 1xx, 204 and 304 answers and answers to HEAD have no content whatever Content-Length says
      // (a 304 may carry the length the 200 would have, §15.4.5). undici still counts the body against it and fails
      // the read, so such a body is never read.
      if (method === 'HEAD' || response.statusCode === 204 || response.statusCode === 304 || response.statusCode < 200) {
        response.body.dump().catch(() => undefined)
        return { ...answer, body: EMPTY }
      }
      const declared = declaredLength(response.headers['content-length'])
      const content = await readUpTo(response.body, this.bufferLimit, declared)
      if (Buffer.isBuffer(content)) return { ...answer, body: content }
      streaming = true
      clearTimeout(timer)
      // The connection, and the client's place at the gate, are held until the stream ends or is destroyed.
      finished(content, () => release())
      // Streamed untouched, the body keeps its declared length: the client knows how much is coming.
      return { ...answer, ...(content === response.body && declared !== undefined ? { headers: { ...answer.headers, 'content-length': String(declared) } } : {}), body: content }
    } catch (error) {
      throw new StrataError('E_ORIGIN_FAILED', `Upstream '${this.name}' ${describe(error, this.timeoutMs)}`, {
        cause: error,
        context: { upstream: this.name },
      })
    } finally {
      clearTimeout(timer)
      if (!streaming) release()
    }
  }

  async close(): Promise<void> {
    await this.pool.close()
  }
}

const EMPTY = Buffer.alloc(0)

function declaredLength(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined
}

/**
 * The body whole when it is at most `limit` bytes; otherwise a stream of all of it — untouched when Content-Length
 * already says it is larger, else what arrived before it passed the limit followed by the rest.
 */
async function readUpTo(body: Readable, limit: number, declared: number | undefined): Promise<Buffer | Readable> {
  if (declared !== undefined && declared > limit) return body
  const chunks: Buffer[] = []
  let size = 0
  const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  for (;;) {
    const next = await iterator.next()
    if (next.done === true) return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)
    chunks.push(next.value)
    size += next.value.length
    if (size > limit) return Readable.from(replay(chunks, iterator), { objectMode: false })
  }
}

async function* replay(head: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  try {
    while (head.length > 0) yield head.shift()!
    for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value
  } finally {
    // Ends the origin's body too when the client went away first.
    await rest.return?.()
  }
}

function describe(error: unknown, timeoutMs: number): string {
  const code = (error as { code?: unknown; name?: unknown } | null)?.code
  const name = (error as { name?: unknown } | null)?.name
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || name === 'TimeoutError' || name === 'AbortError') return `did not answer within ${timeoutMs} ms`
  if (code === 'ECONNREFUSED') return 'refused the connection'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'could not be resolved'
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED') return 'closed the connection before answering'
  return 'sent an answer that is not valid HTTP'
}
