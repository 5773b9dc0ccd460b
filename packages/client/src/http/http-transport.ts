import { ExponentialBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel'
import { StrataError, isStrataError } from '@strata/core'
import { StrataApiError, apiErrorFrom } from './api-error.js'
import type { HttpMethod } from './routes.js'

export interface RetryOptions {
  /** Retries after the first attempt, for idempotent methods only (GET, PUT, DELETE). Default 2; 0 disables. */
  retries?: number
  /** First backoff delay, ms (exponential with jitter from there). Default 100. */
  initialDelayMs?: number
  /** Longest backoff delay, ms. Default 2,000. */
  maxDelayMs?: number
}

export interface TransportOptions {
  /** The gateway's base URL, e.g. http://127.0.0.1:8080 */
  baseUrl: string
  /** Sent as `Authorization: Bearer <apiKey>` on every request. */
  apiKey?: string
  /** Per attempt, ms. Default 5,000. */
  timeoutMs?: number
  retry?: RetryOptions
  /** Extra headers on every request (e.g. a tenant or a trace header). */
  headers?: Record<string, string>
  /** Injectable for tests and custom agents; default the global fetch. */
  fetch?: typeof fetch
}

export interface HttpRequest {
  method: HttpMethod
  path: string
  body?: unknown
  headers?: Record<string, string>
  /** Statuses that are answers, not errors (e.g. 304, or 404 for a get that returns undefined). */
  accept?: readonly number[]
}

export interface HttpResponse {
  status: number
  headers: Headers
  body: unknown
}

/** Methods that may be sent twice with the same effect (RFC 9110 §9.2.2): the only ones retried. */
const IDEMPOTENT: ReadonlySet<HttpMethod> = new Set(['GET', 'PUT', 'DELETE'])
/** Answers that say "try again": overload, a dependency down, a gateway shutting down or timing out. */
const RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 502, 503, 504])

/** HTTP to the gateway: auth header, per-attempt timeout, retries with backoff, problem+json mapped to typed errors. */
export class HttpTransport {
  private readonly baseUrl: string
  private readonly timeoutMs: number
  private readonly fetch: typeof fetch
  private readonly headers: Record<string, string>
  private readonly retryPolicy: RetryPolicy | undefined

  constructor(options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.timeoutMs = options.timeoutMs ?? 5_000
    this.fetch = options.fetch ?? globalThis.fetch
    this.headers = { accept: 'application/json, application/problem+json', ...options.headers }
    if (options.apiKey !== undefined) this.headers.authorization = `Bearer ${options.apiKey}`
    const retries = options.retry?.retries ?? 2
    this.retryPolicy =
      retries > 0
        ? retry(
            handleWhen((error) => isRetryable(error)),
            {
              maxAttempts: retries,
              backoff: new ExponentialBackoff({ initialDelay: options.retry?.initialDelayMs ?? 100, maxDelay: options.retry?.maxDelayMs ?? 2_000 }),
            },
          )
        : undefined
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    if (this.retryPolicy === undefined || !IDEMPOTENT.has(request.method)) return this.attempt(request)
    return this.retryPolicy.execute(() => this.attempt(request))
  }

  private async attempt(request: HttpRequest): Promise<HttpResponse> {
    const label = `${request.method} ${request.path}`
    const headers: Record<string, string> = { ...this.headers, ...request.headers }
    let body: string | undefined
    if (request.body !== undefined) {
      body = JSON.stringify(request.body)
      headers['content-type'] = 'application/json'
    }
    let response: Response
    try {
      response = await this.fetch(`${this.baseUrl}${request.path}`, { method: request.method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) })
    } catch (error) {
      throw transportError(error, label, this.timeoutMs)
    }
    let parsed: unknown
    try {
      parsed = await readBody(response)
    } catch (error) {
      throw transportError(error, label, this.timeoutMs)
    }
    if (response.ok || request.accept?.includes(response.status) === true) return { status: response.status, headers: response.headers, body: parsed }
    throw apiErrorFrom(response.status, parsed, label)
  }
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text()
  if (text === '') return undefined
  const type = response.headers.get('content-type') ?? ''
  return type.includes('json') ? (JSON.parse(text) as unknown) : text
}

function transportError(error: unknown, label: string, timeoutMs: number): StrataError {
  const name = (error as { name?: unknown } | null)?.name
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new StrataError('E_CLIENT_TIMEOUT', `${label}: no answer within ${timeoutMs} ms`, { cause: error, context: { timeoutMs } })
  }
  return new StrataError('E_CLIENT_UNREACHABLE', `${label}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
}

function isRetryable(error: unknown): boolean {
  if (error instanceof StrataApiError) return RETRYABLE_STATUS.has(error.status)
  return isStrataError(error, 'E_CLIENT_TIMEOUT') || isStrataError(error, 'E_CLIENT_UNREACHABLE')
}
