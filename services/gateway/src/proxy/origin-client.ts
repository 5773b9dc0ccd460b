import { Pool } from 'undici'
import { StrataError } from '@strata/core'

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

/** One upstream origin over a keep-alive connection pool, with header and body timeouts. */
export class OriginClient {
  private readonly pool: Pool
  private readonly basePath: string

  constructor(
    readonly name: string,
    baseUrl: string,
    private readonly timeoutMs: number,
    connections = 16,
  ) {
    const url = new URL(baseUrl)
    this.basePath = url.pathname.replace(/\/$/, '')
    this.pool = new Pool(url.origin, { connections, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, keepAliveTimeout: 10_000 })
  }

  async request(method: string, path: string, headers: Record<string, string | string[]>, body?: Buffer): Promise<OriginResponse> {
    try {
      const response = await this.pool.request({
        method,
        path: this.basePath + path,
        headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      })
      const bytes = Buffer.from(await response.body.arrayBuffer())
      return { status: response.statusCode, headers: endToEndHeaders(response.headers), body: bytes }
    } catch (error) {
      throw new StrataError('E_ORIGIN_FAILED', `Upstream '${this.name}' could not be reached: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
        context: { upstream: this.name },
      })
    }
  }

  async close(): Promise<void> {
    await this.pool.close()
  }
}
