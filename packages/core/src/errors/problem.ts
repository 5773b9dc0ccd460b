import { ERROR_CODES, type ErrorCode } from './codes.js'
import { isStrataError } from './strata-error.js'

/** RFC 9457 problem details, as every error leaves a Strata HTTP service. */
export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  instance: string
  code: ErrorCode
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8'

interface FastifyLikeError {
  code?: unknown
  statusCode?: unknown
  validation?: unknown
  message?: unknown
}

/**
 * The one place where an error becomes an HTTP answer, shared by every service (gateway, invalidator, write-behind). Strata errors keep their catalogue status; Fastify's own
 * 4xx errors (validation, content type, body size, malformed JSON) get a code of ours; anything else is a 500 whose
 * detail says nothing about the internals (the caller never sees a stack or a message from a dependency).
 */
export function toProblem(error: unknown, instance: string): Problem {
  if (isStrataError(error)) return problem(error.code, error.message, instance)
  const e = (typeof error === 'object' && error !== null ? error : {}) as FastifyLikeError
  const message = typeof e.message === 'string' ? e.message : ''
  if (e.validation !== undefined) return problem('E_INVALID_REQUEST', message, instance)
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem('E_UNSUPPORTED_MEDIA_TYPE', message, instance)
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem('E_BODY_TOO_LARGE', message, instance)
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem('E_MALFORMED_JSON', message, instance)
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem('E_INVALID_REQUEST', message, instance)
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return problem('E_URI_TOO_LONG', '', instance)
  }
  if (error instanceof SyntaxError && e.statusCode === 400) return problem('E_MALFORMED_JSON', message, instance)
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500
  if (status >= 400 && status < 500) {
    const byStatus: Partial<Record<number, ErrorCode>> = {
      404: 'E_ROUTE_NOT_FOUND',
      405: 'E_METHOD_NOT_ALLOWED',
      408: 'E_REQUEST_TIMEOUT',
      413: 'E_BODY_TOO_LARGE',
      414: 'E_URI_TOO_LONG',
      415: 'E_UNSUPPORTED_MEDIA_TYPE',
      431: 'E_HEADERS_TOO_LARGE',
    }
    const code = byStatus[status] ?? 'E_INVALID_REQUEST'
    return { ...problem(code, message, instance), status }
  }
  return problem('E_INTERNAL', 'An unexpected error occurred; it was logged with this request id.', instance)
}

/** Fastify-style validation issues, listed in the problem so a caller sees every field at once. */
export function validationIssues(error: unknown): { path: string; message: string }[] | undefined {
  const validation = (error as { validation?: unknown } | null)?.validation
  if (!Array.isArray(validation)) return undefined
  return validation.map((issue: { instancePath?: string; message?: string }) => ({ path: issue.instancePath ?? '', message: issue.message ?? '' }))
}

export function problem(code: ErrorCode, detail: string, instance: string): Problem {
  const { status, title } = ERROR_CODES[code]
  return { type: `urn:strata:error:${code}`, title, status, detail: detail || title, instance, code }
}
