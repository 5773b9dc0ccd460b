import { Type, type Static } from '@sinclair/typebox'
import { ERROR_CODES } from '@strata/core'

/** RFC 9457 problem details; every route lists it for its 4xx/5xx answers, so the OpenAPI document shows it. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'urn:strata:error:<code>' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String({ description: 'The request path' }),
    code: Type.Union(Object.keys(ERROR_CODES).map((code) => Type.Literal(code))),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' },
)

export const problemRef = Type.Ref('Problem')

/** One error answer: the shared Problem schema under application/problem+json, as the error handler sends it. */
export interface ProblemResponse {
  description: string
  content: { 'application/problem+json': { schema: typeof problemRef } }
}

/**
 * The error answers a route can give, each pointing at the shared Problem schema. 500 (E_INTERNAL) is listed for every
 * route: any route can fail unexpectedly, and the document should say what that answer looks like.
 */
export function problems(...statuses: number[]): Record<number, ProblemResponse> {
  return Object.fromEntries(
    [...new Set([...statuses, 500])].map((status) => [
      status,
      { description: STATUS_TEXT[status] ?? 'Error', content: { 'application/problem+json': { schema: problemRef } } },
    ]),
  )
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request: the request does not match the schema, or an option is invalid',
  401: 'No or an unknown API key',
  403: 'The API key may not do this',
  404: 'No such namespace, key, upstream or route',
  409: 'A conflicting write held the key for longer than the lease; retry',
  412: 'A precondition (If-Match / If-None-Match) failed',
  413: 'The body or the value is too large',
  414: 'The key is too long',
  415: 'The body is not application/json',
  500: 'An unexpected error (logged with the request id)',
  501: 'The L2 store cannot do this (Memcached cannot list its keys)',
  502: 'The origin failed',
  503: 'A dependency is unavailable, write-behind backpressure, or the gateway is shutting down',
  504: 'The origin did not answer in time',
}

export const NamespaceParam = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'Namespace name' })
export const TagList = Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 64 })
export { Duration } from '@strata/api'

export type TagListType = Static<typeof TagList>
