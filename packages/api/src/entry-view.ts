import { Type, type Static } from '@sinclair/typebox'

/** One entry as the key browser shows it: metadata only, never the value (GET /v1/namespaces/{ns}/entries[/{key}]). */
export const EntryViewSchema = Type.Object({
  key: Type.String(),
  tier: Type.Union([Type.Literal('l1'), Type.Literal('l2')], { description: 'Where this instance found it: its own L1, or L2' }),
  ttlLeftMs: Type.Integer({ description: 'Freshness left (0 when stale)' }),
  graceLeftMs: Type.Integer({ description: 'Grace left after freshness ends (all of it while fresh)' }),
  stale: Type.Boolean(),
  size: Type.Integer({ description: 'Encoded bytes (0 when unknown: an L1 entry that never went through a codec)' }),
  tags: Type.Array(Type.String()),
  version: Type.Number({ description: 'What the ETag carries' }),
})

/** A page of the key browser. */
export const EntryPageSchema = Type.Object({ entries: Type.Array(EntryViewSchema), cursor: Type.Union([Type.String(), Type.Null()], { description: 'Null once everything was listed' }) })

export type EntryView = Static<typeof EntryViewSchema>
export type EntryPage = Static<typeof EntryPageSchema>
