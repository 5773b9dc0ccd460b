import type { EventEnvelope } from '@strata/bus'
import { readPath, type Template } from './template.js'

/**
 * One rule: which domain events it takes, and what they invalidate. A rule targets either a cache namespace (keys,
 * tags, expireTags, prefixes, all) or a proxy upstream (surrogateKeys), never both.
 */
export interface InvalidationRule {
  name: string
  /** The domain topic the rule listens to. */
  topic: string
  /** Event types it applies to (`order.updated`); any when empty. */
  types: readonly string[]
  /** Field equalities the event must satisfy: `data.status` → one of the listed values. */
  match: readonly { path: string[]; anyOf: readonly (string | number | boolean | null)[] }[]
  /** The namespace it invalidates in; undefined for an upstream rule. */
  namespace?: string
  /** The proxy upstream whose stored responses it purges by surrogate key; undefined for a namespace rule. */
  upstream?: string
  keys: readonly Template[]
  /** Tags whose entries are gone. */
  tags: readonly Template[]
  /** Tags whose entries turn stale (served within grace while they refresh). */
  expireTags: readonly Template[]
  prefixes: readonly Template[]
  surrogateKeys: readonly Template[]
  /** Clears the whole namespace. */
  all: boolean
  /** Where the rule is written, for messages. */
  line: number
}

/** A scheduled purge: a namespace or a prefix of it cleared every `everyMs` or on a cron schedule. */
export interface ScheduledPurge {
  name: string
  namespace: string
  prefix?: string
  everyMs?: number
  cron?: string
  line: number
}

/** Per-namespace policy the invalidator's engine uses (tag records must live as long as the entries they judge). */
export interface NamespacePolicy {
  ttl?: number
  maxTtl?: number
}

export interface RuleSet {
  file: string
  rules: readonly InvalidationRule[]
  schedules: readonly ScheduledPurge[]
  namespaces: Readonly<Record<string, NamespacePolicy>>
  /** Every topic some rule listens to. */
  topics: readonly string[]
}

/**
 * Whether `rule` takes `event`. `topic` undefined (an event posted to the gateway's `POST /v1/events` without one)
 * matches every rule's topic: the route stands in for every domain topic.
 */
export function ruleMatches(rule: InvalidationRule, topic: string | undefined, event: EventEnvelope): boolean {
  if (topic !== undefined && rule.topic !== topic) return false
  if (rule.types.length > 0 && !rule.types.includes(event.type)) return false
  return rule.match.every(({ path, anyOf }) => {
    const value = readPath(event, path)
    return anyOf.some((expected) => expected === value || (expected === null && value === undefined))
  })
}
