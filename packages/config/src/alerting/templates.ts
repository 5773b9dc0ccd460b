import type { RuleInput } from './rule-schema.js'

type Params = Record<string, string | number>
type Template = (params: Params) => Omit<RuleInput, 'name'>

const str = (params: Params, name: string, fallback: string): string => String(params[name] ?? fallback)
const num = (params: Params, name: string, fallback: number): number => {
  const value = Number(params[name] ?? fallback)
  if (!Number.isFinite(value)) throw new Error(`param ${name} must be a number, got '${String(params[name])}'`)
  return value
}
const namespaceMatch = (params: Params): Record<string, string> => (params.namespace === undefined ? {} : { namespace: String(params.namespace) })

/**
 * Built-in rules over the metrics Strata's services expose (docs/guides/alerting.md lists their params). Each
 * returns an ordinary rule, so what a template gives can be overridden field by field.
 */
export const TEMPLATES: Record<string, Template> = {
  /** The gateway's hit ratio, (hit + stale) / all lookups, over the window, below `below`. */
  'hit-ratio-drop': (p) => ({
    kind: 'threshold',
    expr: {
      ratio: {
        numerator: { metric: 'strata_cache_requests_total', match: { ...namespaceMatch(p), result: ['hit', 'stale', 'coalesced'] } },
        denominator: { metric: 'strata_cache_requests_total', match: namespaceMatch(p) },
      },
    },
    by: ['namespace'],
    op: '<',
    threshold: num(p, 'below', 0.8),
    window: str(p, 'window', '5m'),
    for: str(p, 'for', '2m'),
    severity: 'warning',
    summary: 'Cache hit ratio fell below the threshold',
  }),
  /** p99 of the gateway's HTTP request duration (seconds) over the window, above `above`. */
  'p99-latency': (p) => ({
    kind: 'threshold',
    expr: { quantile: { metric: 'strata_http_request_duration_seconds', q: 0.99 } },
    op: '>',
    threshold: num(p, 'above', 0.25),
    window: str(p, 'window', '5m'),
    for: str(p, 'for', '5m'),
    severity: 'warning',
    summary: 'Gateway p99 latency is above the threshold',
  }),
  /** Share of gateway answers with a 5xx status over the window, above `above`. */
  'error-rate': (p) => ({
    kind: 'threshold',
    expr: {
      ratio: {
        numerator: { metric: 'strata_http_request_duration_seconds_count', match: { status_code: { re: '^5' } } },
        denominator: { metric: 'strata_http_request_duration_seconds_count' },
      },
    },
    op: '>',
    threshold: num(p, 'above', 0.05),
    window: str(p, 'window', '5m'),
    for: str(p, 'for', '2m'),
    severity: 'critical',
    summary: 'Gateway error rate is above the threshold',
  }),
  /** Age of the oldest acknowledged write-behind write not yet flushed, above `above` seconds. */
  'write-behind-lag': (p) => ({
    kind: 'threshold',
    expr: { gauge: { metric: 'strata_write_behind_flush_lag_seconds', agg: 'max' } },
    by: ['queue'],
    op: '>',
    threshold: num(p, 'above', 30),
    for: str(p, 'for', '1m'),
    severity: 'warning',
    summary: 'Write-behind flush lag is above the threshold',
  }),
  /** Any write-behind write moved to the dead-letter queue within the window. */
  'dead-letters': (p) => ({
    kind: 'threshold',
    expr: { increase: { metric: 'strata_write_behind_dead_letters_total' } },
    by: ['queue'],
    op: '>',
    threshold: num(p, 'above', 0),
    window: str(p, 'window', '10m'),
    for: str(p, 'for', '0s'),
    severity: 'critical',
    summary: 'Write-behind writes were dead-lettered',
  }),
  /**
   * Error events (`strata.errors.v1`, read by alerting's error source as `strata_error_events_total`) per service and
   * code: more than `above` (default 0) within the window, or, with `perSecond`, a rate above it. `code`, `service`
   * and `operation` narrow it (each a value or a comma-separated list).
   */
  'error-events': (p) => {
    const match: Record<string, string[]> = {}
    for (const label of ['code', 'service', 'operation'] as const) if (p[label] !== undefined) match[label] = String(p[label]).split(',').map((value) => value.trim())
    const selector = { metric: 'strata_error_events_total', match }
    return {
      kind: 'threshold',
      expr: p.perSecond === undefined ? { increase: selector } : { rate: selector },
      by: ['service', 'code'],
      op: '>',
      threshold: p.perSecond === undefined ? num(p, 'above', 0) : num(p, 'perSecond', 0),
      window: str(p, 'window', '5m'),
      for: str(p, 'for', '0s'),
      severity: 'warning',
      summary: 'A service reported errors',
      groupBy: ['alertname', 'service', 'code'],
    }
  },
  /**
   * Work any service set aside for good (an error event with `deadLetter`: a dead-lettered domain event, write or
   * webhook) within the window. Alerting runs it by default when it reads `strata.errors.v1`.
   */
  'error-dead-letters': (p) => ({
    kind: 'threshold',
    expr: { increase: { metric: 'strata_error_events_total', match: { dead_letter: 'true' } } },
    by: ['service', 'code'],
    op: '>',
    threshold: 0,
    window: str(p, 'window', '10m'),
    for: '0s',
    severity: 'critical',
    summary: 'Work was dead-lettered: it will not be retried, someone must look',
    groupBy: ['alertname', 'service', 'code'],
  }),
  /**
   * Audited actions (`strata.audit.v1`, read by alerting's audit source as `strata_audit_events_total`) per service,
   * action and outcome: more than `above` (default 0) within the window. `service`, `action` and `outcome` narrow it
   * (each a value or a comma-separated list), e.g. `outcome: denied` and `above: 20` for a burst of refused requests.
   */
  'audit-events': (p) => {
    const match: Record<string, string[]> = {}
    for (const label of ['service', 'action', 'outcome'] as const) if (p[label] !== undefined) match[label] = String(p[label]).split(',').map((value) => value.trim())
    return {
      kind: 'threshold',
      expr: { increase: { metric: 'strata_audit_events_total', match } },
      by: ['service', 'action', 'outcome'],
      op: '>',
      threshold: num(p, 'above', 0),
      window: str(p, 'window', '5m'),
      for: str(p, 'for', '0s'),
      severity: 'warning',
      summary: 'Audited actions above the threshold',
      groupBy: ['alertname', 'service', 'action', 'outcome'],
    }
  },
  /**
   * Kafka consumer lag of a group (messages behind), as the analytics service's Kafka probe reads it
   * (`strata_resource_value{kind="kafka-lag",metric=<group>}`), above `above`; `group` narrows it to one group.
   */
  'consumer-lag': (p) => ({
    kind: 'threshold',
    expr: { gauge: { metric: 'strata_resource_value', match: { kind: 'kafka-lag', ...(p.group === undefined ? {} : { metric: String(p.group) }) }, agg: 'max' } },
    by: ['metric'],
    op: '>',
    threshold: num(p, 'above', 10_000),
    for: str(p, 'for', '5m'),
    severity: 'warning',
    summary: 'A Kafka consumer group is falling behind',
  }),
  /**
   * Resident memory of a service's process (`process_resident_memory_bytes`, in every Strata /metrics) above
   * `fraction` (default 0.9) of `limitBytes` (its container or cgroup limit: required).
   */
  'memory-near-limit': (p) => {
    if (p.limitBytes === undefined) throw new Error('param limitBytes is required (the memory limit of the process, in bytes)')
    const limit = num(p, 'limitBytes', 0)
    if (limit <= 0) throw new Error(`param limitBytes must be positive, got ${limit}`)
    return {
      kind: 'threshold',
      expr: { gauge: { metric: str(p, 'metric', 'process_resident_memory_bytes'), agg: 'max' } },
      op: '>',
      threshold: Math.floor(limit * num(p, 'fraction', 0.9)),
      for: str(p, 'for', '2m'),
      severity: 'critical',
      summary: 'A process is close to its memory limit',
    }
  },
}
