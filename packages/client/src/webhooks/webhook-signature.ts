import { createHmac, timingSafeEqual } from 'node:crypto'
import { StrataError } from '@strata/core'

/** Headers of every delivery (lower case, as Node's http module gives them to a receiver). */
export const WEBHOOK_HEADERS = {
  signature: 'x-strata-signature',
  timestamp: 'x-strata-timestamp',
  id: 'x-strata-webhook-id',
  idempotencyKey: 'idempotency-key',
  attempt: 'x-strata-delivery-attempt',
} as const

/** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: the timestamp is signed, so it cannot be moved forward. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

export interface VerifyWebhookOptions {
  secret: string
  /** The raw body bytes as received; re-serialised JSON would not match. */
  body: string | Buffer
  headers: Record<string, string | string[] | undefined>
  /** How old (or how far in the future) a timestamp may be, in seconds. Default 300. */
  toleranceSeconds?: number
  now?: number
}

export interface VerifiedWebhook {
  id: string
  timestamp: number
  body: string
}

/**
 * What a receiver calls first: checks the signature against the raw body and refuses a timestamp outside the
 * tolerance. Within the tolerance a captured request could be replayed, so the receiver also keeps the ids
 * (`x-strata-webhook-id`, = Idempotency-Key) it processed for at least that long and ignores a repeat: that same
 * check makes our retries safe. Throws E_WEBHOOK_SIGNATURE_INVALID.
 */
export function verifyWebhook(options: VerifyWebhookOptions): VerifiedWebhook {
  const header = (name: string): string => {
    const value = options.headers[name]
    const text = Array.isArray(value) ? value[0] : value
    if (text === undefined || text === '') throw new StrataError('E_WEBHOOK_SIGNATURE_INVALID', `the ${name} header is missing`)
    return text
  }
  const signature = header(WEBHOOK_HEADERS.signature)
  const timestamp = Number(header(WEBHOOK_HEADERS.timestamp))
  const id = header(WEBHOOK_HEADERS.id)
  if (!Number.isInteger(timestamp)) throw new StrataError('E_WEBHOOK_SIGNATURE_INVALID', 'the timestamp is not an integer')
  const now = Math.floor((options.now ?? Date.now()) / 1000)
  const tolerance = options.toleranceSeconds ?? 300
  if (Math.abs(now - timestamp) > tolerance) throw new StrataError('E_WEBHOOK_SIGNATURE_INVALID', `the timestamp is ${now - timestamp} s away from now (tolerance ${tolerance} s): refused as a possible replay`)
  const body = typeof options.body === 'string' ? options.body : options.body.toString('utf8')
  const expected = Buffer.from(signWebhook(options.secret, timestamp, body))
  const given = Buffer.from(signature)
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new StrataError('E_WEBHOOK_SIGNATURE_INVALID', 'the signature does not match the body')
  return { id, timestamp, body }
}
