import type { Job, JobHandler } from '@strata/queue'
import type { Receiver } from '@strata/config'
import type { AlertStore } from '../store/alert-store.js'
import type { DeliveryJob } from './webhook-payload.js'
import { WEBHOOK_HEADERS, signWebhook } from '@strata/client/webhooks'

export interface WebhookSenderOptions {
  receivers: () => ReadonlyMap<string, Receiver>
  store: AlertStore
  clock: () => number
  /** Told of every attempt's outcome (metrics). */
  onAttempt?: (receiver: string, outcome: 'delivered' | 'failed') => void
}

/**
 * The queue handler that POSTs one delivery. Every attempt is signed afresh (new timestamp, same body and id); a
 * non-2xx answer or a network error throws, so the queue retries it with backoff and jitter and dead-letters it after
 * the last attempt. The receiver dedupes on the id, which is what makes at-least-once delivery exactly-once for it.
 */
export function webhookSender(options: WebhookSenderOptions): JobHandler<DeliveryJob> {
  return async (jobs) => {
    for (const job of jobs) await send(job, options)
  }
}

async function send(job: Job<DeliveryJob>, options: WebhookSenderOptions): Promise<void> {
  const { notificationId, receiver: name, body } = job.data
  const receiver = options.receivers().get(name)
  const record = (outcome: 'delivered' | 'failed', detail: { status?: number; error?: string }) => {
    options.onAttempt?.(name, outcome)
    return options.store.recordDelivery({ notificationId, receiver: name, attempt: job.attempt, outcome, ...detail, at: options.clock() }).catch(() => undefined)
  }
  if (receiver === undefined) {
    await record('failed', { error: `no receiver named '${name}' is configured` })
    throw new Error(`no receiver named '${name}' is configured`)
  }
  const timestamp = Math.floor(options.clock() / 1000)
  let response: Response
  try {
    response = await fetch(receiver.url, {
      method: 'POST',
      body,
      signal: AbortSignal.timeout(receiver.timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'strata-alerting/1',
        [WEBHOOK_HEADERS.id]: notificationId,
        [WEBHOOK_HEADERS.idempotencyKey]: notificationId,
        [WEBHOOK_HEADERS.timestamp]: String(timestamp),
        [WEBHOOK_HEADERS.signature]: signWebhook(receiver.secret, timestamp, body),
        [WEBHOOK_HEADERS.attempt]: String(job.attempt),
      },
    })
    await response.arrayBuffer().catch(() => undefined)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    await record('failed', { error: message })
    throw new Error(`${name}: ${message}`, { cause: error })
  }
  if (response.status < 200 || response.status >= 300) {
    await record('failed', { status: response.status, error: `HTTP ${response.status}` })
    throw new Error(`${name} answered HTTP ${response.status}`)
  }
  await record('delivered', { status: response.status })
}
