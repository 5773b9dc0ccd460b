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

/** The error answers a route can give, each pointing at the shared Problem schema. */
export function problems(...statuses: number[]): Record<number, typeof problemRef> {
  return Object.fromEntries(statuses.map((status) => [status, problemRef]))
}

export const NamespaceParam = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'Namespace name' })
export const TagList = Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 64 })
/** Milliseconds, like every duration in Strata's policies. */
export const Duration = Type.Integer({ minimum: 0, maximum: 10 * 365 * 24 * 3_600_000, description: 'milliseconds' })

export type TagListType = Static<typeof TagList>
