import { isStrataError } from '@strata/core'
import { withConsumeSpan } from '../tracing/message-tracing.js'
import { deadLetterTopic } from '../topics.js'
import { DEFAULT_RETRY, type DeadLetter, type IncomingMessage, type MessageHandler, type OutgoingMessage, type RetryPolicy, type SubscribeOptions } from './transport.js'

/** Headers a dead-lettered message carries, besides its original ones. */
export const DEAD_LETTER_HEADERS = {
  reason: 'strata-dlq-reason',
  code: 'strata-dlq-code',
  topic: 'strata-dlq-topic',
  partition: 'strata-dlq-partition',
  offset: 'strata-dlq-offset',
  group: 'strata-dlq-group',
  attempts: 'strata-dlq-attempts',
  at: 'strata-dlq-at',
} as const

/** How a delivery ended: handled, sent to the dead-letter topic, or given up because the subscription is closing. */
export type DeliveryOutcome = 'handled' | 'dead-lettered' | 'abandoned'

export interface DeliveryContext {
  handler: MessageHandler
  retry: RetryPolicy
  deadLetter: boolean
  groupId: string
  /** Publishes to the dead-letter topic; if it throws, the message is not consumed and will come again. */
  publish: (topic: string, messages: readonly OutgoingMessage[]) => Promise<void>
  /** Aborted when the subscription closes: backoff waits end, and the message is left uncommitted. */
  closing: AbortSignal
  /** Called while waiting between attempts (Kafka: heartbeat, so a slow retry does not cost the partition). */
  onWait?: () => Promise<void>
  /** The subscriber's `onDeadLetter`. */
  onDeadLetter?: ((letter: DeadLetter) => void) | undefined
}

/**
 * The delivery semantics both adapters share. A handler error is retried with exponential backoff and jitter; an
 * E_EVENT_INVALID error (bad JSON, schema, missing field) is poison and goes to the dead-letter topic at once, since
 * retrying cannot fix it; a handler still failing after `retry.attempts` goes there too, with the last error.
 * Transient errors (a broker or Redis down) are retried until the subscription closes and do not count as attempts.
 */
export function deliver(system: string, message: Omit<IncomingMessage, 'attempt'>, context: DeliveryContext): Promise<DeliveryOutcome> {
  // One CONSUMER span per message, a child of the producer's (from the headers), around every attempt.
  return withConsumeSpan(system, context.groupId, message, () => deliverWithRetries(message, context))
}

async function deliverWithRetries(message: Omit<IncomingMessage, 'attempt'>, context: DeliveryContext): Promise<DeliveryOutcome> {
  let failures = 0
  for (let attempt = 1; ; attempt++) {
    if (context.closing.aborted) return 'abandoned'
    try {
      await context.handler({ ...message, attempt })
      return 'handled'
    } catch (error) {
      const poison = isStrataError(error, 'E_EVENT_INVALID')
      // A dependency that is down says nothing about the message: wait for it rather than dead-letter good events.
      if (!isTransient(error)) failures++
      const exhausted = failures >= context.retry.attempts
      if (context.deadLetter && (poison || exhausted)) {
        const reason = poison ? errorText(error) : `handler failed after ${attempt} attempts: ${errorText(error)}`
        const code = isStrataError(error) ? error.code : 'E_HANDLER_FAILED'
        await sendToDeadLetter(message, context, reason, code, attempt)
        try {
          context.onDeadLetter?.({ topic: message.topic, partition: message.partition, offset: message.offset, key: message.key, code, reason, attempts: attempt })
        } catch {
          // A report that fails must not turn a consumed message into one delivered again.
        }
        return 'dead-lettered'
      }
      await context.onWait?.()
      await backoff(context.retry, attempt, context.closing)
    }
  }
}

async function sendToDeadLetter(
  message: Omit<IncomingMessage, 'attempt'>,
  context: DeliveryContext,
  reason: string,
  code: string,
  attempts: number,
): Promise<void> {
  await context.publish(deadLetterTopic(message.topic), [
    {
      ...(message.key === undefined ? {} : { key: message.key }),
      value: message.value,
      headers: {
        ...message.headers,
        [DEAD_LETTER_HEADERS.reason]: reason.slice(0, 2000),
        [DEAD_LETTER_HEADERS.code]: code,
        [DEAD_LETTER_HEADERS.topic]: message.topic,
        [DEAD_LETTER_HEADERS.partition]: String(message.partition),
        [DEAD_LETTER_HEADERS.offset]: message.offset,
        [DEAD_LETTER_HEADERS.group]: context.groupId,
        [DEAD_LETTER_HEADERS.attempts]: String(attempts),
        [DEAD_LETTER_HEADERS.at]: new Date().toISOString(),
      },
    },
  ])
}

function backoff(retry: RetryPolicy, attempt: number, signal: AbortSignal): Promise<void> {
  const ceiling = Math.min(retry.maxBackoffMs, retry.initialBackoffMs * 2 ** (attempt - 1))
  // Full jitter halves the herd of retries after a shared dependency comes back.
  const delay = ceiling / 2 + Math.random() * (ceiling / 2)
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, delay)
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

export function retryPolicyOf(options: SubscribeOptions): RetryPolicy {
  return { ...DEFAULT_RETRY, ...options.retry }
}

/** E_BUS_UNAVAILABLE, E_L2_UNAVAILABLE and errors marked `transient: true`: retried without limit (backoff capped), never dead-lettered. */
export function isTransient(error: unknown): boolean {
  if (isStrataError(error, 'E_BUS_UNAVAILABLE') || isStrataError(error, 'E_L2_UNAVAILABLE')) return true
  return typeof error === 'object' && error !== null && (error as { transient?: unknown }).transient === true
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
