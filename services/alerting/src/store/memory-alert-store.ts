import type { AlertRecord, AlertStore, DeliveryRecord, Notification, Silence, StoreChange } from './alert-store.js'

/** The in-process store, for the embedded default and unit tests; nothing survives the process. */
export class MemoryAlertStore implements AlertStore {
  private readonly alerts = new Map<string, AlertRecord>()
  private readonly pending = new Map<string, Notification>()
  private readonly silenceMap = new Map<string, Silence>()
  private readonly rules = new Map<string, unknown>()
  private readonly history: DeliveryRecord[] = []

  loadAlerts(): Promise<AlertRecord[]> {
    return Promise.resolve([...this.alerts.values()].map((alert) => structuredClone(alert)))
  }
  commit(change: StoreChange): Promise<void> {
    for (const alert of change.put) this.alerts.set(alert.fingerprint, structuredClone(alert))
    for (const fingerprint of change.remove) this.alerts.delete(fingerprint)
    for (const notification of change.outbox) this.pending.set(notification.id, notification)
    return Promise.resolve()
  }
  outbox(): Promise<Notification[]> {
    return Promise.resolve([...this.pending.values()])
  }
  ackOutbox(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.pending.delete(id)
    return Promise.resolve()
  }
  putSilence(silence: Silence): Promise<void> {
    this.silenceMap.set(silence.id, silence)
    return Promise.resolve()
  }
  silences(now: number): Promise<Silence[]> {
    for (const [id, silence] of this.silenceMap) if (silence.endsAt <= now) this.silenceMap.delete(id)
    return Promise.resolve([...this.silenceMap.values()])
  }
  deleteSilence(id: string): Promise<boolean> {
    return Promise.resolve(this.silenceMap.delete(id))
  }
  putApiRule(name: string, input: unknown): Promise<void> {
    this.rules.set(name, input)
    return Promise.resolve()
  }
  apiRules(): Promise<Array<{ name: string; input: unknown }>> {
    return Promise.resolve([...this.rules].map(([name, input]) => ({ name, input })))
  }
  deleteApiRule(name: string): Promise<boolean> {
    return Promise.resolve(this.rules.delete(name))
  }
  recordDelivery(record: DeliveryRecord): Promise<void> {
    this.history.unshift(record)
    this.history.length = Math.min(this.history.length, 1000)
    return Promise.resolve()
  }
  deliveries(limit: number): Promise<DeliveryRecord[]> {
    return Promise.resolve(this.history.slice(0, limit))
  }
  close(): Promise<void> {
    return Promise.resolve()
  }
}
