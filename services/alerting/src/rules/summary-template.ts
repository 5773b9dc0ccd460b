import type { AlertRule } from '@strata/config'

/**
 * Renders a rule's summary for one alert: `{{value}}` (the measured value), `{{threshold}}` (threshold rules),
 * `{{rule}}` and `{{labels.NAME}}` (or `{{NAME}}`) for the alert's labels. A placeholder with nothing to put in stays
 * as written, so a typo shows in the message instead of vanishing. Rendered again whenever the value changes, so a
 * firing alert's summary tells the value of its last evaluation.
 */
export function renderSummary(rule: Pick<AlertRule, 'name' | 'summary'> & { threshold?: number }, labels: Record<string, string>, value: number | undefined): string {
  if (!rule.summary.includes('{{')) return rule.summary
  return rule.summary.replace(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g, (whole, name: string) => {
    if (name === 'value') return value === undefined ? whole : formatNumber(value)
    if (name === 'threshold') return rule.threshold === undefined ? whole : formatNumber(rule.threshold)
    if (name === 'rule') return rule.name
    const label = name.startsWith('labels.') ? name.slice('labels.'.length) : name
    return Object.hasOwn(labels, label) ? labels[label]! : whole
  })
}

/** Integers as they are; others to 3 decimals, or 3 significant digits below 1 (1234.5678 → 1234.568, 0.0081234 → 0.00812). */
function formatNumber(value: number): string {
  if (Number.isInteger(value) || !Number.isFinite(value)) return String(value)
  return String(Number(Math.abs(value) >= 1 ? value.toFixed(3) : value.toPrecision(3)))
}
