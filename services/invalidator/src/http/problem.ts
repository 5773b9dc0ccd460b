import { ERROR_CODES, isStrataError } from '@strata/core'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'

/** The one place errors become RFC 9457 problem+json: the StrataError's code and status, never a stack trace. */
export function sendProblem(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const validation = (error as FastifyError).validation
  if (validation !== undefined) {
    return reply
      .code(400)
      .type('application/problem+json')
      .send({
        type: 'https://strata.dev/problems/E_REQUEST_INVALID',
        title: ERROR_CODES.E_REQUEST_INVALID.title,
        status: 400,
        code: 'E_REQUEST_INVALID',
        detail: error.message,
        instance: request.url,
        errors: validation.map((issue) => ({ path: issue.instancePath, message: issue.message })),
      })
  }
  if (isStrataError(error)) {
    const { status, title } = ERROR_CODES[error.code]
    return reply
      .code(status)
      .type('application/problem+json')
      .send({ type: `https://strata.dev/problems/${error.code}`, title, status, code: error.code, detail: error.message, instance: request.url })
  }
  request.log.error({ err: error }, 'unexpected error')
  return reply
    .code(500)
    .type('application/problem+json')
    .send({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'An unexpected error occurred', instance: request.url })
}
