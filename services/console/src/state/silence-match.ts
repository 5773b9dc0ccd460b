import type { AlertView, Silence } from '../api/types.js'

/** A silence applies to an alert when every label it names has the value it gives (alerting's own rule). */
export function silencesOf(alert: AlertView, silences: readonly Silence[], now: number): Silence[] {
  return silences.filter((silence) => silence.startsAt <= now && silence.endsAt > now && Object.entries(silence.matchers).every(([name, value]) => alert.labels[name] === value))
}

/** The matchers for silencing one alert: its rule and, when it has one, its namespace. */
export function matchersFor(alert: AlertView): Record<string, string> {
  const matchers: Record<string, string> = { alertname: alert.labels.alertname ?? alert.rule }
  if (alert.labels.namespace !== undefined) matchers.namespace = alert.labels.namespace
  return matchers
}
