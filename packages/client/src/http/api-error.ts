import { ERROR_CODES, StrataError, type ErrorCode, type Problem } from '@strata/core'

/**
 * An error answer of the gateway (RFC 9457 problem+json) as a typed error: `code` is the gateway's stable code (match
 * on it with `isStrataError(error, 'E_KEY_NOT_FOUND')`), `status` the HTTP status, `problem` the whole document.
 */
export class StrataApiError extends StrataError {
  readonly status: number
  readonly problem: Problem | undefined

  constructor(code: ErrorCode, message: string, options: { status: number; problem?: Problem; cause?: unknown; context?: Record<string, unknown> }) {
    super(code, message, { cause: options.cause, context: { status: options.status, ...options.context } })
    this.status = options.status
    this.problem = options.problem
  }
}

/** The typed error for a non-2xx answer; a body that is not problem+json still gets a code from its status. */
export function apiErrorFrom(status: number, body: unknown, request: string): StrataApiError {
  const problem = isProblem(body) ? body : undefined
  if (problem !== undefined) {
    const code = problem.code in ERROR_CODES ? problem.code : codeForStatus(status)
    return new StrataApiError(code, `${request}: ${problem.detail} (${problem.code})`, { status, problem })
  }
  const code = codeForStatus(status)
  return new StrataApiError(code, `${request}: HTTP ${status} without problem details`, { status })
}

function codeForStatus(status: number): ErrorCode {
  if (status === 404) return 'E_ROUTE_NOT_FOUND'
  if (status === 413) return 'E_BODY_TOO_LARGE'
  if (status === 415) return 'E_UNSUPPORTED_MEDIA_TYPE'
  if (status === 504) return 'E_CLIENT_TIMEOUT'
  if (status === 502 || status === 503) return 'E_CLIENT_UNREACHABLE'
  return status >= 500 ? 'E_INTERNAL' : 'E_INVALID_REQUEST'
}

function isProblem(body: unknown): body is Problem {
  return typeof body === 'object' && body !== null && typeof (body as Problem).code === 'string' && typeof (body as Problem).status === 'number'
}
