import type { AlertView, DeliveryRecord, Silence } from '@strata/api'

// What the HTTP API serves (alerts, silences, deliveries) is declared in @strata/api, which the console reads too.
export type { AlertState, DeliveryRecord, Silence } from '@strata/api'

/** One alert: one rule × one group of `by` labels. Persisted so a restart neither forgets nor repeats it. */
export interface AlertRecord extends AlertView {
  /** The last state a notification was committed for ('none' until the first). */
  notified: 'none' | 'firing' | 'resolved'
}

/** One webhook delivery owed to one receiver; its id is the idempotency key and the BullMQ job id. */
export interface Notification {
  id: string
  receiver: string
  groupKey: string
  /** The exact body the receiver gets (signed as is on every attempt). */
  body: string
}

export interface StoreChange {
  put: AlertRecord[]
  remove: string[]
  outbox: Notification[]
}

/**
 * Where alerting keeps what must survive a crash. `commit` is atomic: an alert's new state and the notifications it
 * owes land together (a transactional outbox), and the outbox is drained into the delivery queue after the commit
 * and again at start, so a kill at any point neither loses a notification nor sends one twice (job id = its id).
 */
export interface AlertStore {
  loadAlerts(): Promise<AlertRecord[]>
  commit(change: StoreChange): Promise<void>
  outbox(): Promise<Notification[]>
  ackOutbox(ids: readonly string[]): Promise<void>
  putSilence(silence: Silence): Promise<void>
  /** Silences not yet expired at `now`; expired ones are dropped. */
  silences(now: number): Promise<Silence[]>
  deleteSilence(id: string): Promise<boolean>
  putApiRule(name: string, input: unknown): Promise<void>
  apiRules(): Promise<Array<{ name: string; input: unknown }>>
  deleteApiRule(name: string): Promise<boolean>
  recordDelivery(record: DeliveryRecord): Promise<void>
  /** Newest first. */
  deliveries(limit: number): Promise<DeliveryRecord[]>
  close(): Promise<void>
}
