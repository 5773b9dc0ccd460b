import { PROBLEM_CONTENT_TYPE, toProblem, validationIssues } from '@strata/core'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'

/** Answers an error as RFC 9457 problem+json through core's one mapping; unexpected errors are logged, never shown. */
export function sendProblem(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const body = toProblem(error, request.url)
  if (body.status >= 500) request.log.error({ err: error }, 'unexpected error')
  const errors = validationIssues(error)
  return reply
    .code(body.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(errors === undefined ? body : { ...body, errors })
}
