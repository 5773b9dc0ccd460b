// The alerting service's HTTP answers (GET /rules, /alerts, /silences, /deliveries). Alerting stores and serves
// these shapes; the console and @strata/config's rule compiler read them from here.

/** A label matcher: an exact value, any of several, or a regular expression (`{ re: '^5..$' }`, anchored by you). */
export type LabelMatcher = string | string[] | { re: string }

export interface Selector {
  metric: string
  match?: Record<string, LabelMatcher>
}

/**
 * What a rule measures, per group of `by` labels, at each evaluation. Counters are read as deltas over the rule's
 * window (a counter reset counts as a restart from zero), so `ratio` of two counters is the ratio over the window.
 */
export type Expr =
  | { gauge: Selector & { agg?: 'sum' | 'max' | 'min' } }
  | { increase: Selector }
  | { rate: Selector }
  | { ratio: { numerator: Selector; denominator: Selector } }
  | { quantile: Selector & { q: number } }

export type Comparison = '>' | '>=' | '<' | '<=' | '==' | '!='
export type Severity = 'info' | 'warning' | 'critical'

interface RuleBase {
  name: string
  expr: Expr
  /** Labels that split the rule into one alert per group (e.g. `[namespace]`). */
  by: string[]
  /** Window of counter deltas (ms). */
  windowMs: number
  /** How long the condition must hold before pending becomes firing (ms). */
  forMs: number
  severity: Severity
  summary: string
  labels: Record<string, string>
  /** Labels whose values form the notification group key (default: alertname and namespace). */
  groupBy: string[]
  /** Where the rule came from: `file:line` or `api`. */
  origin: string
}

/** A compiled alert rule, as GET /rules lists it and POST /rules answers it. */
export type AlertRule =
  | (RuleBase & { kind: 'threshold'; op: Comparison; threshold: number })
  /** The value's change over `overMs` (relative: as a fraction of the old value) compared with the threshold. */
  | (RuleBase & { kind: 'rate_of_change'; op: Comparison; threshold: number; overMs: number; relative: boolean })
  /** No value at all (the series vanished or the source cannot be read). */
  | (RuleBase & { kind: 'absence' })
  /** The value leaves mean ± k·stddev of its own values over the baseline window. */
  | (RuleBase & { kind: 'anomaly'; k: number; baselineMs: number; minSamples: number; direction: 'above' | 'below' | 'both' })

export type AlertState = 'pending' | 'firing' | 'resolved'

/** One alert: one rule × one group of `by` labels (GET /alerts). */
export interface AlertView {
  fingerprint: string
  rule: string
  labels: Record<string, string>
  severity: Severity
  summary: string
  state: AlertState
  activeSince: number
  firedAt?: number
  resolvedAt?: number
  value?: number
}

/** GET /silences, POST /silences. */
export interface Silence {
  id: string
  /** Every label named must equal the value given for an alert to be silenced. */
  matchers: Record<string, string>
  startsAt: number
  endsAt: number
  comment: string
  createdBy: string
}

/** One webhook delivery attempt (GET /deliveries). */
export interface DeliveryRecord {
  notificationId: string
  receiver: string
  attempt: number
  outcome: 'delivered' | 'failed' | 'dead-lettered'
  status?: number
  error?: string
  at: number
}
