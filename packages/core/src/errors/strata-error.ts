import type { ErrorCode } from './codes.js'

/**
 * The one error type Strata throws. `code` is stable and documented (see codes.ts); `context` carries the
 * fields a caller needs to act (key, namespace, limit) and never a cached value.
 */
export class StrataError extends Error {
  override readonly name = 'StrataError'
  readonly code: ErrorCode
  readonly context: Readonly<Record<string, unknown>>

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.context = Object.freeze({ ...options.context })
  }
}

export function isStrataError(error: unknown, code?: ErrorCode): error is StrataError {
  return error instanceof StrataError && (code === undefined || error.code === code)
}
