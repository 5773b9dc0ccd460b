import { Pool } from 'undici'
import { StrataError } from '@strata/core'
import { OriginGate, type OriginGateOptions } from './origin-gate.js'

export interface OriginResponse {
  status: number
  headers: Record<string, string | string[]>
  body: Buffer
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
  async request(method: string, path: string, headers: Record<string, string | string[]>, body?: Buffer, client = 'anonymous'): Promise<OriginResponse> {
    const release = await this.gate.acquire(client)
    try {
      const response = await this.pool.request({
        method,
        path: this.basePath + path,
        headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      })
      // RFC 9110 §6.4.1: 1xx, 204 and 304 answers and answers to HEAD have no content whatever Content-Length says
      // (a 304 may carry the length the 200 would have, §15.4.5). undici still counts the body against it and fails
      // the read, so such a body is never read.
      let bytes: Buffer
      if (method === 'HEAD' || response.statusCode === 204 || response.statusCode === 304 || response.statusCode < 200) {
        response.body.dump().catch(() => undefined)
        bytes = EMPTY
      } else bytes = Buffer.from(await response.body.arrayBuffer())
      return { status: response.statusCode, headers: endToEndHeaders(response.headers), body: bytes }
    } catch (error) {
      throw new StrataError('E_ORIGIN_FAILED', `Upstream '${this.name}' ${describe(error, this.timeoutMs)}`, {
        cause: error,
        context: { upstream: this.name },
      })
    } finally {
      release()
    }
  }

  async close(): Promise<void> {
    await this.pool.close()
  }
}

const EMPTY = Buffer.alloc(0)

function describe(error: unknown, timeoutMs: number): string {
  const code = (error as { code?: unknown; name?: unknown } | null)?.code
  const name = (error as { name?: unknown } | null)?.name
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || name === 'TimeoutError' || name === 'AbortError') return `did not answer within ${timeoutMs} ms`
  if (code === 'ECONNREFUSED') return 'refused the connection'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'could not be resolved'
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED') return 'closed the connection before answering'
  return 'sent an answer that is not valid HTTP'
}
