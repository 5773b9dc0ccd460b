import type { Comparison } from '@strata/api'

// The rule's shape is the alerting API's (GET /rules answers it): declared once in @strata/api.
export type { AlertRule, Comparison, Expr, LabelMatcher, Selector, Severity } from '@strata/api'

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
