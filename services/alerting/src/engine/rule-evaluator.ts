import { keyOf, type MetricHistory } from '../metrics/metric-history.js'
import { compare, type AlertRule } from '@strata/config'

interface Point {
  at: number
  value: number
  active: boolean
}

export interface GroupResult {
  labels: Record<string, string>
  value: number | undefined
  /** undefined: cannot be decided yet (no old enough value to compare with, baseline too short). */
  active: boolean | undefined
}

/**
 * Turns a rule and the metric history into "is the condition true now" per group. It keeps each group's own past
 * values, which rate-of-change and anomaly rules compare against, and which absence rules use to know what to expect.
 */
export class RuleEvaluator {
  private readonly past = new Map<string, Map<string, { labels: Record<string, string>; points: Point[] }>>()

  evaluate(rule: AlertRule, history: MetricHistory, now: number): GroupResult[] {
    const values = history.evaluate(rule.expr, rule.by, rule.windowMs)
    const groups = this.past.get(rule.name) ?? new Map<string, { labels: Record<string, string>; points: Point[] }>()
    this.past.set(rule.name, groups)
    const keep = Math.max(rule.windowMs, rule.kind === 'anomaly' ? rule.baselineMs : 0, rule.kind === 'rate_of_change' ? rule.overMs : 0) * 2
    const results: GroupResult[] = []
    for (const [key, { labels, value }] of values) {
      const entry = groups.get(key) ?? { labels, points: [] }
      groups.set(key, entry)
      const active = this.condition(rule, value, entry.points, now)
      results.push({ labels, value, active })
      entry.points.push({ at: now, value, active: active === true })
      while (entry.points.length > 0 && entry.points[0]!.at < now - keep) entry.points.shift()
    }
    if (rule.kind === 'absence') {
      // What is absent: every group seen before, and the single group of a rule without `by`.
      if (rule.by.length === 0 && !groups.has(keyOf({}))) groups.set(keyOf({}), { labels: {}, points: [] })
      for (const [key, entry] of groups) if (!values.has(key)) results.push({ labels: entry.labels, value: undefined, active: true })
    }
    return results
  }

  forget(ruleName: string): void {
    this.past.delete(ruleName)
  }

  private condition(rule: AlertRule, value: number, points: readonly Point[], now: number): boolean | undefined {
    switch (rule.kind) {
      case 'threshold':
        return compare(value, rule.op, rule.threshold)
      case 'absence':
        return false
      case 'rate_of_change': {
        const old = [...points].reverse().find((point) => point.at <= now - rule.overMs)
        if (old === undefined) return undefined
        const change = value - old.value
        if (rule.relative && old.value === 0) return false
        return compare(rule.relative ? change / Math.abs(old.value) : change, rule.op, rule.threshold)
      }
      case 'anomaly': {
        // Values seen while the condition held are not baseline: an ongoing anomaly must not become the new normal.
        const baseline = points.filter((point) => point.at >= now - rule.baselineMs && !point.active).map((point) => point.value)
        if (baseline.length < rule.minSamples) return undefined
        const mean = baseline.reduce((a, b) => a + b, 0) / baseline.length
        const stddev = Math.sqrt(baseline.reduce((a, b) => a + (b - mean) ** 2, 0) / baseline.length)
        const above = value > mean + rule.k * stddev
        const below = value < mean - rule.k * stddev
        return rule.direction === 'above' ? above : rule.direction === 'below' ? below : above || below
      }
    }
  }
}
