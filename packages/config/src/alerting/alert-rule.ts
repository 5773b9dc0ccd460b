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

export type AlertRule =
  | (RuleBase & { kind: 'threshold'; op: Comparison; threshold: number })
  /** The value's change over `overMs` (relative: as a fraction of the old value) compared with the threshold. */
  | (RuleBase & { kind: 'rate_of_change'; op: Comparison; threshold: number; overMs: number; relative: boolean })
  /** No value at all (the series vanished or the source cannot be read). */
  | (RuleBase & { kind: 'absence' })
  /** The value leaves mean ± k·stddev of its own values over the baseline window. */
  | (RuleBase & { kind: 'anomaly'; k: number; baselineMs: number; minSamples: number; direction: 'above' | 'below' | 'both' })

export function compare(value: number, op: Comparison, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold
    case '>=':
      return value >= threshold
    case '<':
      return value < threshold
    case '<=':
      return value <= threshold
    case '==':
      return value === threshold
    case '!=':
      return value !== threshold
  }
}
