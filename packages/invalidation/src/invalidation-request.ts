import { Type, type Static } from '@sinclair/typebox'

/** What to invalidate in one namespace (or, with surrogate keys, in one proxy upstream). */
export interface InvalidationTargets {
  keys?: readonly string[]
  /** Entries carrying one of these are gone. */
  tags?: readonly string[]
  /** Entries carrying one of these are stale: served within grace while they refresh, then gone. */
  expireTags?: readonly string[]
  /** Every key starting with one of these (a scan of L2). */
  prefixes?: readonly string[]
  /** The whole namespace. */
  all?: boolean
}

export type InvalidationTrigger = 'event' | 'manual' | 'schedule' | 'purge' | 'subject'

/**
 * One invalidation to carry out: from a rule and a domain event, a manual request, or a schedule. It names either a
 * namespace (with its targets) or a proxy upstream (with surrogate keys).
 */
export interface InvalidationRequest extends InvalidationTargets {
  namespace?: string
  /** A proxy upstream: its stored responses carrying one of `surrogateKeys` are purged. */
  upstream?: string
  surrogateKeys?: readonly string[]
  /** A soft purge of `surrogateKeys` (or `urls`): the responses are marked stale, not removed. */
  soft?: boolean
  /**
   * Proxy URL paths (with `upstream`), for the record only: a URL purge needs the gateway's proxy, which carries it
   * out itself; the executor refuses them.
   */
  urls?: readonly string[]
  trigger: InvalidationTrigger
  /** The rule or schedule that produced it. */
  rule?: string
  /** Who asked: `key:<id>`, `jwt:<sub>`, `anonymous`; absent for events and schedules. */
  actor?: string
  sourceEventId?: string
  sourceEventType?: string
  /** When the cause happened (the domain event's `time`, or the request), epoch ms; latency is measured from it. */
  occurredAt: number
}

const NAMESPACE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'
const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 256 })

/**
 * The targets of a manual invalidation as an HTTP body takes them (the gateway's and the invalidator's routes share
 * it, so a request means the same thing at both). Bounded: every list and string has a ceiling.
 */
export const InvalidationTargetsBody = {
  keys: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { minItems: 1, maxItems: 1_000 })),
  tags: Type.Optional(Tags),
  expireTags: Type.Optional(Tags),
  prefixes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { minItems: 1, maxItems: 100, description: 'Every key starting with one of these (a scan of L2)' })),
  all: Type.Optional(Type.Boolean({ description: 'The whole namespace' })),
  dryRun: Type.Optional(Type.Boolean({ description: 'Count what would be invalidated; change nothing' })),
}

export const NamespaceName = Type.String({ pattern: NAMESPACE_PATTERN })

/** `{ namespace, keys?, tags?, expireTags?, prefixes?, all?, dryRun? }`: the invalidator's `POST /v1/invalidations`. */
export const NamespacedInvalidationBody = Type.Object({ namespace: NamespaceName, ...InvalidationTargetsBody }, { additionalProperties: false, minProperties: 2 })
export type NamespacedInvalidationBody = Static<typeof NamespacedInvalidationBody>

/** True when `targets` names nothing to invalidate (an empty request is refused, not a silent no-op). */
export function targetsAreEmpty(targets: InvalidationTargets): boolean {
  return (targets.keys?.length ?? 0) + (targets.tags?.length ?? 0) + (targets.expireTags?.length ?? 0) + (targets.prefixes?.length ?? 0) === 0 && targets.all !== true
}
