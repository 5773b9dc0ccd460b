import type { EventEnvelope } from '@strata/bus'
import type { InvalidationRequest } from '../invalidation-request.js'
import { ruleMatches, type InvalidationRule, type RuleSet } from './invalidation-rule.js'
import type { Template } from './template.js'

/**
 * The invalidations `rules` ask for on `event` (arrived on `topic`; undefined: any topic). Strict: every template of
 * every matching rule is rendered before anything is touched, and an event lacking a field one needs is refused
 * whole (E_EVENT_INVALID naming the template and the field; the caller adds which event) — never applied in part, never skipped.
 */
export function planInvalidations(rules: RuleSet | readonly InvalidationRule[], topic: string | undefined, event: EventEnvelope): InvalidationRequest[] {
  const list = 'rules' in rules ? rules.rules : rules
  const occurredAt = Date.parse(event.time)
  return list.filter((rule) => ruleMatches(rule, topic, event)).map((rule) => requestOf(rule, event, occurredAt))
}

function requestOf(rule: InvalidationRule, event: EventEnvelope, occurredAt: number): InvalidationRequest {
  const render = (templates: readonly Template[]) => templates.map((template) => template.render(event))
  const some = (field: 'keys' | 'tags' | 'expireTags' | 'prefixes' | 'surrogateKeys') => (rule[field].length > 0 ? { [field]: render(rule[field]) } : {})
  return {
    ...(rule.namespace === undefined ? {} : { namespace: rule.namespace }),
    ...(rule.upstream === undefined ? {} : { upstream: rule.upstream }),
    ...some('keys'),
    ...some('tags'),
    ...some('expireTags'),
    ...some('prefixes'),
    ...some('surrogateKeys'),
    ...(rule.all ? { all: true } : {}),
    trigger: 'event',
    rule: rule.name,
    sourceEventId: event.id,
    sourceEventType: event.type,
    occurredAt: Number.isFinite(occurredAt) ? occurredAt : Date.now(),
  }
}
