import { describe, expect, it } from 'vitest'
import { WEBHOOK_HEADERS, signWebhook, verifyWebhook } from './webhook-signature.js'

const secret = 'a-secret-of-enough-length'
const body = '{"id":"n1"}'
const now = 1_800_000_000_000
const headersAt = (ts: number, sig = signWebhook(secret, ts, body)) => ({ [WEBHOOK_HEADERS.signature]: sig, [WEBHOOK_HEADERS.timestamp]: String(ts), [WEBHOOK_HEADERS.id]: 'n1' })

describe('verifyWebhook', () => {
  it('accepts a fresh, correctly signed body', () => {
    expect(verifyWebhook({ secret, body, headers: headersAt(now / 1000), now })).toEqual({ id: 'n1', timestamp: now / 1000, body })
  })

  it('refuses a tampered body, a wrong secret, a stale timestamp and missing headers', () => {
    const ts = now / 1000
    const code = (f: () => unknown) => {
      try {
        f()
        return 'accepted'
      } catch (error) {
        return (error as { code?: string }).code
      }
    }
    expect(code(() => verifyWebhook({ secret, body: body + ' ', headers: headersAt(ts), now }))).toBe('E_WEBHOOK_SIGNATURE_INVALID')
    expect(code(() => verifyWebhook({ secret: 'another-secret-entirely', body, headers: headersAt(ts), now }))).toBe('E_WEBHOOK_SIGNATURE_INVALID')
    expect(code(() => verifyWebhook({ secret, body, headers: headersAt(ts - 301), now }))).toBe('E_WEBHOOK_SIGNATURE_INVALID')
    expect(code(() => verifyWebhook({ secret, body, headers: { [WEBHOOK_HEADERS.timestamp]: String(ts) }, now }))).toBe('E_WEBHOOK_SIGNATURE_INVALID')
    // Moving the timestamp forward breaks the signature, since it is signed with the body.
    expect(code(() => verifyWebhook({ secret, body, headers: headersAt(ts, signWebhook(secret, ts - 400, body)), now }))).toBe('E_WEBHOOK_SIGNATURE_INVALID')
  })
})
