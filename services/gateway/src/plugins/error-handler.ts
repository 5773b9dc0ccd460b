import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance } from 'fastify'
import { PROBLEM_CONTENT_TYPE, isStrataError, problem, toProblem } from '@strata/core'

/**
 * Every error leaves the gateway here, as RFC 9457 problem+json: caller mistakes as 4xx with a code, our own failures
 * as 5xx with a generic detail (logged with the request id; never a stack trace to the caller).
 */
export const errorHandlerPlugin = fp(
  (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const answer = toProblem(error, request.url.split('?')[0] ?? request.url)
      if (answer.status >= 500) request.log.error({ err: error, code: answer.code }, 'request failed')
      else request.log.info({ code: answer.code, detail: answer.detail }, 'request refused')
      // Backpressure (E_BACKPRESSURE) and other refusals that know when to come back say so (RFC 9110 §10.2.3).
      const retryAfterMs = isStrataError(error) ? error.context.retryAfterMs : undefined
      if (typeof retryAfterMs === 'number' && retryAfterMs >= 0) reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))))
      return reply.code(answer.status).type(PROBLEM_CONTENT_TYPE).send(answer)
    })
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] ?? request.url
      const answer = problem('E_ROUTE_NOT_FOUND', `No route for ${request.method} ${path}`, path)
      return reply.code(404).type(PROBLEM_CONTENT_TYPE).send(answer)
    })
  },
  { name: 'strata-error-handler' },
)
