import { Type, type Static } from '@sinclair/typebox'

export { ProblemSchema, problemRef, problems, type ProblemResponse } from '@strata/service'

export const NamespaceParam = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'Namespace name' })
export const TagList = Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 64 })
export { Duration } from '@strata/api'

export type TagListType = Static<typeof TagList>
