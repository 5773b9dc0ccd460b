import { StrataError } from '@strata/core'
import { describe, expect, it } from 'vitest'
import { apiKeyOf, credentialHint } from './credentials.js'

describe('the CLI API key', () => {
  it('reads --api-key, then STRATA_KEY (what the docs export), then STRATA_API_KEY', () => {
    expect(apiKeyOf({ apiKey: 'sk_flag' }, { STRATA_KEY: 'sk_a', STRATA_API_KEY: 'sk_b' })).toBe('sk_flag')
    expect(apiKeyOf({}, { STRATA_KEY: 'sk_a', STRATA_API_KEY: 'sk_b' })).toBe('sk_a')
    expect(apiKeyOf({}, { STRATA_KEY: '', STRATA_API_KEY: 'sk_b' })).toBe('sk_b')
    expect(apiKeyOf({}, {})).toBeUndefined()
  })

  it('names the variable and the flag when the gateway refuses', () => {
    const refused = (status: number) => new StrataError('E_UNAUTHENTICATED', 'GET /v1/stats: refused', { context: { status } })
    expect(credentialHint(refused(401), {}, {})).toMatch(/no API key was sent: export STRATA_KEY=.* or pass --api-key/)
    expect(credentialHint(refused(401), {}, { STRATA_API_KEY: 'sk_x' })).toContain('the key from STRATA_API_KEY')
    expect(credentialHint(refused(403), { apiKey: 'sk_y' }, {})).toContain('the key from --api-key may not do this')
    expect(credentialHint(refused(404), {}, {})).toBe('')
  })
})
