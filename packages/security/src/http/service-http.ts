import { PROBLEM_CONTENT_TYPE, problem, toProblem } from '@strata/core'
import type { FastifyInstance } from 'fastify'
import { authPlugin, type AuthPluginOptions } from './auth-plugin.js'

/**
 * The error answers every Strata service gives: RFC 9457 problem+json with a stable code, never a stack trace; an
 * unknown route is E_ROUTE_NOT_FOUND; failures of our own (5xx) are logged.
 */
export function answerWithProblems(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const answer = toProblem(error, request.url.split('?')[0] ?? request.url)
    if (answer.status >= 500) request.log.error({ err: error, code: answer.code }, 'request failed')
    return reply.code(answer.status).type(PROBLEM_CONTENT_TYPE).send(answer)
  })
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url
    return reply.code(404).type(PROBLEM_CONTENT_TYPE).send(problem('E_ROUTE_NOT_FOUND', `No route for ${request.method} ${path}`, path))
  })
}

/**
 * API keys / JWTs, rate limits and audit on a service's own app: every route declared after this call needs what its
 * `config.auth` says (`'public'` for health). Called directly rather than through `register`, so the hooks exist
 * before the routes are declared.
 */
export function requireCredentials(app: FastifyInstance, auth: Omit<AuthPluginOptions, 'stage'>): void {
  void authPlugin(app, auth, (error) => {
    if (error) throw error
  })
}
