import { Type, type Static } from '@sinclair/typebox'

export { ProblemSchema, problemRef, problems, type ProblemResponse } from '@strata/service'

export const NamespaceParam = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'Namespace name' })
export const TagList = Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 64 })
/** Milliseconds, like every duration in Strata's policies. */
export const Duration = Type.Integer({ minimum: 0, maximum: 10 * 365 * 24 * 3_600_000, description: 'milliseconds' })

export type TagListType = Static<typeof TagList>
