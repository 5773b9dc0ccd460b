import type { Socket } from 'node:net'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { PROBLEM_CONTENT_TYPE, isStrataError, problem, toProblem, validationIssues, type ErrorCode, type Problem } from '@strata/core'
import type { MethodIndex } from './method-index.js'
import { API_SECURITY_HEADERS } from './security-headers.js'
import type { SchemaValidationError } from './validation-message.js'

/**
 * Retry-After of the 503s whose error does not say when (no context.retryAfterMs): a store or the bus that cannot be
 * reached is usually back within seconds (a Redis failover takes 1-3 s), and a client told so backs off instead of
 * hammering or giving up.
 */
const UNAVAILABLE_RETRY_AFTER_MS: Partial<Record<ErrorCode, number>> = { E_L2_UNAVAILABLE: 1_000, E_BUS_UNAVAILABLE: 1_000 }

/** Paths longer than this are cut in problems: a 16 KB URL is not sent back to the one who sent it. */
const MAX_ECHOED_PATH = 256

/** The request path, without the query string, cut to a length worth echoing. */
export function instanceOf(url: string): string {
  const path = url.split('?')[0] ?? url
  return path.length > MAX_ECHOED_PATH ? `${path.slice(0, MAX_ECHOED_PATH)}…` : path
}

/**
 * An answer sent before the body was read (a 401, a 404, a 415) closes the connection: otherwise Node keeps reading a
 * trickled body to reuse the connection, and one client holds a socket for as long as it cares to trickle.
 */
function closeIfBodyUnread(request: FastifyRequest, reply: FastifyReply): void {
  if (!request.raw.complete) reply.header('connection', 'close')
  // Error answers name their request, so a caller can quote it and an operator find its log lines. Only errors: a
  // header on every answer showed in the L1-hit benchmark.
  reply.header('x-request-id', request.id)
}

/**
 * The one error handler of every Strata service: RFC 9457 problem+json with a stable code, 4xx with a detail naming
 * the culprit, 5xx logged with the request id and answered with a generic detail (never a stack trace).
 */
export function answerError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const answer = describe(error, request)
  if (answer.status >= 500) request.log.error({ err: error, code: answer.code }, 'request failed')
  else request.log.info({ code: answer.code, detail: answer.detail }, 'request refused')
  // Backpressure, rate limits and other refusals that know when to come back say so (RFC 9110 §10.2.3).
  const retryAfterMs = isStrataError(error) ? (error.context.retryAfterMs ?? UNAVAILABLE_RETRY_AFTER_MS[error.code]) : undefined
  if (typeof retryAfterMs === 'number' && retryAfterMs >= 0) reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))))
  closeIfBodyUnread(request, reply)
  return reply.code(answer.status).type(PROBLEM_CONTENT_TYPE).send(answer)
}

function describe(error: FastifyError | Error, request: FastifyRequest): Problem & { errors?: { path: string; message: string }[] } {
  const instance = instanceOf(request.url)
  const answer = toProblem(error, instance)
  if (answer.code === 'E_UNSUPPORTED_MEDIA_TYPE') {
    const given = request.headers['content-type']
    return {
      ...answer,
      detail: `This route takes a JSON body: send Content-Type: application/json${given === undefined ? ' (none was sent)' : ` (not '${given.slice(0, 100)}')`}. curl -d sends application/x-www-form-urlencoded unless you add -H 'content-type: application/json'`,
    }
  }
  const issues = (error as Partial<SchemaValidationError>).issues ?? validationIssues(error)
  return issues === undefined ? answer : { ...answer, errors: issues }
}

/**
 * No route matched: 405 with the methods the path does take (RFC 9110 §15.5.6), or 404. Both with a code.
 */
export function answerNotFound(methods: MethodIndex) {
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = instanceOf(request.url)
    const allowed = methods.allowed(request.url)
    closeIfBodyUnread(request, reply)
    if (allowed.length > 0) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .type(PROBLEM_CONTENT_TYPE)
        .send(problem('E_METHOD_NOT_ALLOWED', `${path} takes ${allowed.join(', ')}, not ${request.method}`, path))
    }
    return reply.code(404).type(PROBLEM_CONTENT_TYPE).send(problem('E_ROUTE_NOT_FOUND', `No route for ${request.method} ${path}`, path))
  }
}

/**
 * Errors the router raises before any hook runs (a malformed percent-encoding, a path segment over maxParamLength).
 * Fastify's own answer is JSON without our headers and with the whole URL in it; ours is problem+json with the
 * security headers, naming the request rather than echoing its URL.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const instance = `urn:strata:request:${request.id}`
  const answer =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? problem('E_URI_TOO_LONG', 'A path segment (a key, a name) is longer than this service accepts', instance)
      : error.code === 'FST_ERR_BAD_URL'
        ? problem('E_INVALID_REQUEST', 'The URL is not valid: a percent-encoding (%xx) does not decode', instance)
        : toProblem(error, instance)
  request.log.info({ code: answer.code }, 'request refused by the router')
  void reply.code(answer.status).headers(API_SECURITY_HEADERS).header('connection', 'close').header('x-request-id', request.id).type(PROBLEM_CONTENT_TYPE).send(answer)
}

const CLIENT_ERRORS: Record<string, { status: string; code: ErrorCode; detail: (maxHeaderSize: number) => string }> = {
  HPE_HEADER_OVERFLOW: { status: '431 Request Header Fields Too Large', code: 'E_HEADERS_TOO_LARGE', detail: (max) => `Request headers exceed ${max} bytes` },
  ERR_HTTP_REQUEST_TIMEOUT: { status: '408 Request Timeout', code: 'E_REQUEST_TIMEOUT', detail: () => 'The request did not arrive in time; the connection is closed' },
  ERR_HTTP_HEADERS_TIMEOUT: { status: '408 Request Timeout', code: 'E_REQUEST_TIMEOUT', detail: () => 'The request headers did not arrive in time; the connection is closed' },
}

/**
 * What Node's HTTP parser refuses (bad HTTP, headers too large, a request that did not arrive within the request
 * timeout) never reaches Fastify: the answer is written on the socket, as problem+json with the security headers.
 */
export function answerClientError(maxHeaderSize: number) {
  const headers = Object.entries(API_SECURITY_HEADERS)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')
  return (error: NodeJS.ErrnoException, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return
    // An answer already on its way on this socket cannot be followed by another one: just close.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage
    if (inFlight?.headersSent === true || !socket.writable) {
      socket.destroy()
      return
    }
    const known = CLIENT_ERRORS[error.code ?? '']
    const body = JSON.stringify(
      known === undefined ? problem('E_INVALID_REQUEST', 'The request could not be parsed as HTTP', '') : problem(known.code, known.detail(maxHeaderSize), ''),
    )
    const status = known?.status ?? '400 Bad Request'
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  }
}
