import type { Receiver } from '@strata/config'
import type { AlertRecord, Silence } from '../store/alert-store.js'

/** Receivers whose namespace and severity filters accept the alert (no filter accepts everything). */
export function routeAlert(alert: AlertRecord, receivers: readonly Receiver[]): Receiver[] {
  const namespace = alert.labels.namespace
  return receivers.filter(
    (receiver) =>
      (receiver.namespaces === undefined || (namespace !== undefined && receiver.namespaces.includes(namespace))) &&
      (receiver.severities === undefined || receiver.severities.includes(alert.severity)),
  )
}

/**
 * Silences start when they are created, so only their end is checked: an evaluation whose clock was read just before
 * a silence was created, but whose scrape came after, must still honour it.
 */
export function isSilenced(alert: AlertRecord, silences: readonly Silence[], now: number): boolean {
  return silences.some((silence) => now < silence.endsAt && Object.entries(silence.matchers).every(([name, value]) => alert.labels[name] === value))
}

/** The group an alert's notifications are batched and deduplicated in: the values of the rule's groupBy labels. */
export function groupOf(alert: AlertRecord, groupBy: readonly string[]): { key: string; labels: Record<string, string> } {
  const labels: Record<string, string> = {}
  for (const name of groupBy) labels[name] = alert.labels[name] ?? ''
  return { key: groupBy.map((name) => `${name}=${labels[name]}`).join(','), labels }
}
