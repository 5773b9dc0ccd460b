import { problemOf } from './problem.js'

export interface RequestOptions {
  method?: 'GET' | 'PUT' | 'POST' | 'DELETE'
  body?: unknown
  query?: Record<string, string | number | boolean | undefined>
  headers?: Record<string, string>
}

/**
 * One service's HTTP API with the signed-in user's key as `Authorization: Bearer`. Every non-2xx answer throws an
 * ApiProblem carrying the server's code and detail; 204 resolves to undefined.
 */
export class HttpClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(path, this.baseUrl)
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(name, String(value))
    }
    const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}`, accept: 'application/json' }
    if (options.body !== undefined) headers['content-type'] = 'application/json'
    Object.assign(headers, options.headers)
    const response = await fetch(url, {
      method: options.method ?? 'GET',
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      cache: 'no-store',
    })
    if (!response.ok) throw await problemOf(response)
    if (response.status === 204) return undefined as T
    const text = await response.text()
    return (text === '' ? undefined : JSON.parse(text)) as T
  }
}

/** Path segments are user input (keys may hold `/`, `?`, spaces): always encoded. */
export const seg = (value: string): string => encodeURIComponent(value)
