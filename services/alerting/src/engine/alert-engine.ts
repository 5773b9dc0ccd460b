import { createHash } from 'node:crypto'
import type { JobQueue } from '@strata/queue'
import { renderBody, type DeliveryJob } from '../delivery/webhook-payload.js'
import { MetricHistory, keyOf } from '../metrics/metric-history.js'
import type { MetricSource } from '../metrics/metric-source.js'
import type { AlertRule, Receiver } from '@strata/config'
import { renderSummary } from '../rules/summary-template.js'
import type { AlertRecord, AlertStore, Notification } from '../store/alert-store.js'
import { RuleEvaluator } from './rule-evaluator.js'
import { groupOf, isSilenced, routeAlert } from './routing.js'

export interface AlertTransition {
  alert: AlertRecord
  groupKey: string
}

export interface AlertEngineDeps {
  sources: readonly MetricSource[]
  store: AlertStore
  receivers: readonly Receiver[]
  deliveries: JobQueue<DeliveryJob>
  /** Every state change (pending, firing, resolved), after it was committed; failures are the caller's to log. */
  onTransitions: (transitions: AlertTransition[]) => Promise<void>
  onSourceError?: (source: string, error: unknown) => void
  clock: () => number
}

/**
 * One evaluation loop: scrape every source, evaluate every rule, move alerts through pending → firing → resolved,
 * and commit the new states with the notifications they owe in one store transaction before anything is sent.
 */
export class AlertEngine {
  private readonly history = new MetricHistory(60_000)
  private readonly evaluator = new RuleEvaluator()
  private rules = new Map<string, AlertRule>()
  private alerts = new Map<string, AlertRecord>()

  constructor(private readonly deps: AlertEngineDeps) {}

  /** Loads persisted alerts and sends what the outbox still holds (a previous process died before it could). */
  async start(rules: readonly AlertRule[]): Promise<void> {
    this.setRules(rules)
    this.alerts = new Map((await this.deps.store.loadAlerts()).map((alert) => [alert.fingerprint, alert]))
    await this.drainOutbox()
  }

  setRules(rules: readonly AlertRule[]): void {
    for (const name of this.rules.keys()) if (!rules.some((rule) => rule.name === name)) this.evaluator.forget(name)
    this.rules = new Map(rules.map((rule) => [rule.name, rule]))
    for (const rule of rules) this.history.retainAtLeast(Math.max(rule.windowMs, rule.kind === 'anomaly' ? rule.baselineMs : 0, rule.kind === 'rate_of_change' ? rule.overMs : 0) + 1000)
  }

  listRules(): AlertRule[] {
    return [...this.rules.values()]
  }

  listAlerts(): AlertRecord[] {
    return [...this.alerts.values()].map((alert) => ({ ...alert }))
  }

  async tick(): Promise<void> {
    const now = this.deps.clock()
    const scraped = await Promise.all(
      this.deps.sources.map((source) =>
        source.collect().catch((error: unknown) => {
          this.deps.onSourceError?.(source.name, error)
          return []
        }),
      ),
    )
    this.history.record(now, scraped.flat())

    const changed = new Map<string, AlertRecord>()
    const transitions: AlertRecord[] = []
    const seen = new Set<string>()
    const change = (alert: AlertRecord, transition: boolean) => {
      changed.set(alert.fingerprint, alert)
      if (transition) transitions.push({ ...alert })
    }
    const removed = new Set<string>()

    const keep = (ruleName: string) => {
      for (const alert of this.alerts.values()) if (alert.rule === ruleName) seen.add(alert.fingerprint)
    }
    for (const rule of this.rules.values()) {
      // Warming up (after a start): alerts of the rule keep the state they were loaded with. A count that is already
      // over its threshold in the partial window is over it in the full one, so such a rule may fire (an error or a
      // dead letter right after a start is not held back a whole window); only resolving waits for the full window.
      const warmingUp = !this.history.covers(rule.expr, rule.windowMs)
      if (warmingUp) {
        keep(rule.name)
        if (!firesOnPartialWindow(rule)) continue
      }
      for (const result of this.evaluator.evaluate(rule, this.history, now)) {
        const labels = { ...result.labels, ...rule.labels, alertname: rule.name, severity: rule.severity }
        const fingerprint = createHash('sha256').update(rule.name).update(keyOf(labels)).digest('hex').slice(0, 32)
        seen.add(fingerprint)
        const current = this.alerts.get(fingerprint)
        const value = result.value === undefined ? {} : { value: result.value }
        if (result.active === undefined) continue
        if (result.active) {
          if (current === undefined || current.state === 'resolved') {
            // A resolved alert that fires again before its resolved delivery went out keeps its notified marker.
            const summary = renderSummary(rule, labels, result.value)
            const alert: AlertRecord = { fingerprint, rule: rule.name, labels, severity: rule.severity, summary, state: 'pending', activeSince: now, ...value, notified: current?.notified ?? 'none' }
            this.alerts.set(fingerprint, alert)
            change(alert, true)
            if (rule.forMs === 0) this.fire(alert, now, change)
          } else {
            Object.assign(current, value, { summary: renderSummary(rule, labels, result.value ?? current.value) })
            if (current.state === 'pending' && now - current.activeSince >= rule.forMs) this.fire(current, now, change)
            else changed.set(fingerprint, current)
          }
        } else if (current !== undefined && !warmingUp) {
          Object.assign(current, value, { summary: renderSummary(rule, labels, result.value ?? current.value) })
          this.deactivate(current, now, change, removed)
        }
      }
    }
    // Alerts whose group produced no result (series gone) or whose rule was removed are no longer active.
    for (const alert of this.alerts.values()) {
      if (!seen.has(alert.fingerprint) && alert.state !== 'resolved') this.deactivate(alert, now, change, removed)
    }

    const outbox = await this.notifications(now, changed, removed)
    for (const fingerprint of removed) this.alerts.delete(fingerprint)
    try {
      await this.deps.store.commit({ put: [...changed.values()].filter((alert) => !removed.has(alert.fingerprint)), remove: [...removed], outbox })
    } catch (error) {
      // The store is the truth: forget what this tick decided and evaluate again from it next time.
      this.alerts = new Map((await this.deps.store.loadAlerts().catch(() => [...this.alerts.values()])).map((alert) => [alert.fingerprint, alert]))
      throw error
    }
    if (transitions.length > 0) await this.deps.onTransitions(transitions.map((alert) => ({ alert, groupKey: groupOf(alert, this.rules.get(alert.rule)?.groupBy ?? ['alertname']).key })))
    // Always: entries a failed drain left behind (queue Redis briefly away) go out with the next evaluation.
    await this.drainOutbox()
  }

  private fire(alert: AlertRecord, now: number, change: (alert: AlertRecord, transition: boolean) => void): void {
    alert.state = 'firing'
    alert.firedAt = now
    change(alert, true)
  }

  private deactivate(alert: AlertRecord, now: number, change: (alert: AlertRecord, transition: boolean) => void, removed: Set<string>): void {
    if (alert.state === 'pending') {
      // It never fired: nothing was announced, so it just goes away.
      removed.add(alert.fingerprint)
    } else if (alert.state === 'firing') {
      alert.state = 'resolved'
      alert.resolvedAt = now
      change(alert, true)
    }
  }

  /**
   * What each receiver is owed, one notification per receiver and group: firing alerts not yet announced (and not
   * silenced), and resolved alerts whose firing was announced. An alert already announced in its state is not sent
   * again (deduplication), and a notification's id is derived from its content, so computing it twice (a restart)
   * yields the same id, which the queue and the receiver both dedupe on.
   */
  private async notifications(now: number, changed: Map<string, AlertRecord>, removed: Set<string>): Promise<Notification[]> {
    const silences = await this.deps.store.silences(now)
    const byGroup = new Map<string, { receiver: Receiver; groupKey: string; groupLabels: Record<string, string>; alerts: AlertRecord[] }>()
    for (const alert of this.alerts.values()) {
      if (alert.state === 'pending') continue
      const owed = alert.state === 'firing' ? alert.notified !== 'firing' && !isSilenced(alert, silences, now) : alert.notified === 'firing'
      if (!owed) {
        if (alert.state === 'resolved') removed.add(alert.fingerprint)
        continue
      }
      const group = groupOf(alert, this.rules.get(alert.rule)?.groupBy ?? ['alertname'])
      for (const receiver of routeAlert(alert, this.deps.receivers)) {
        const key = `${receiver.name}\n${group.key}`
        const entry = byGroup.get(key) ?? { receiver, groupKey: group.key, groupLabels: group.labels, alerts: [] }
        entry.alerts.push(alert)
        byGroup.set(key, entry)
      }
      alert.notified = alert.state === 'firing' ? 'firing' : 'resolved'
      if (alert.state === 'resolved') removed.add(alert.fingerprint)
      changed.set(alert.fingerprint, alert)
    }
    return [...byGroup.values()].map(({ receiver, groupKey, groupLabels, alerts }) => {
      const identity = alerts.map((alert) => `${alert.fingerprint}:${alert.state}:${alert.activeSince}`).sort()
      const id = createHash('sha256').update(receiver.name).update('\n').update(groupKey).update('\n').update(identity.join('\n')).digest('hex').slice(0, 40)
      return { id, receiver: receiver.name, groupKey, body: renderBody(receiver, id, groupKey, groupLabels, alerts, now) }
    })
  }

  /** Enqueues every outbox entry (job id = notification id, so a repeat is a no-op), then clears them. */
  async drainOutbox(): Promise<void> {
    const pending = await this.deps.store.outbox()
    if (pending.length === 0) return
    await this.deps.deliveries.addBulk(pending.map((n) => ({ data: { notificationId: n.id, receiver: n.receiver, body: n.body }, options: { jobId: n.id } })))
    await this.deps.store.ackOutbox(pending.map((n) => n.id))
  }
}

/** `increase > t` (or `>=`, t ≥ 0): a partial window's increase is a lower bound of the full window's. */
function firesOnPartialWindow(rule: AlertRule): boolean {
  return rule.kind === 'threshold' && 'increase' in rule.expr && (rule.op === '>' || rule.op === '>=') && rule.threshold >= 0
}
