import type { FlushOrigin, FlushOutcome, FlushRecord } from './flush-origin.js'

export interface HttpOriginOptions {
  /** Base URL; a record goes to PUT (or DELETE for null) `${baseUrl}/${namespace}/${key}`. */
  baseUrl: string
  /** Requests in flight at once per batch (default 16). */
  concurrency?: number
  timeoutMs?: number
  headers?: Record<string, string>
}

export const VERSION_HEADER = 'x-strata-version'

/**
 * An HTTP service as the origin: one PUT per key with the value as JSON and the version in `x-strata-version`
 * (DELETE for a null value). The origin must apply a write only if its version is newer than what it has; it
 * answers 2xx, or 409/412 when it already holds a newer version (both count as done). Another 4xx rejects that key;
 * a 5xx, 429 or network error means the origin is unavailable and the batch is retried.
 */
export class HttpOrigin implements FlushOrigin {
  readonly kind = 'http'
  private readonly base: string
  private readonly concurrency: number
  private readonly timeoutMs: number

  constructor(private readonly options: HttpOriginOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '')
    this.concurrency = options.concurrency ?? 16
    this.timeoutMs = options.timeoutMs ?? 10_000
  }

  async write(records: readonly FlushRecord[]): Promise<FlushOutcome> {
    const rejected: FlushOutcome['rejected'] = []
    let next = 0
    const lane = async (): Promise<void> => {
      while (next < records.length) {
        const record = records[next++]!
        const response = await fetch(`${this.base}/${encodeURIComponent(record.namespace)}/${encodeURIComponent(record.key)}`, {
          method: record.value === null ? 'DELETE' : 'PUT',
          headers: { 'content-type': 'application/json', [VERSION_HEADER]: String(record.version), ...this.options.headers },
          body: record.value === null ? null : JSON.stringify(record.value),
          signal: AbortSignal.timeout(this.timeoutMs),
        })
        await response.arrayBuffer()
        if (response.ok || response.status === 409 || response.status === 412) continue
        if (response.status >= 500 || response.status === 429) throw new Error(`HTTP origin answered ${response.status}`)
        rejected.push({ record, error: new Error(`HTTP origin refused the write with ${response.status}`) })
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.concurrency, records.length) }, lane))
    return { rejected }
  }

  async ping(): Promise<boolean> {
    try {
      const response = await fetch(this.base, { method: 'HEAD', signal: AbortSignal.timeout(2000) })
      return response.status < 500
    } catch {
      return false
    }
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}
