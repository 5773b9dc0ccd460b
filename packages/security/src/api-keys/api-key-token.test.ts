import { describe, expect, it } from 'vitest'
import { generateApiKeyToken, hashSecret, parseApiKeyToken, verifySecret } from './api-key-token.js'

describe('API key tokens', () => {
  it('are sk_<id>_<secret>, random, and parse back', () => {
    const a = generateApiKeyToken()
    const b = generateApiKeyToken()
    expect(a.token).toMatch(/^sk_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/)
    expect(a.token).not.toBe(b.token)
    expect(parseApiKeyToken(a.token)).toEqual({ id: a.id, secret: a.secret })
    for (const bad of ['', 'sk_', `pk_${a.id}_${a.secret}`, `sk_${a.id}${a.secret}`, `sk_${a.id}_${a.secret}x`, a.token.toUpperCase()]) {
      expect(parseApiKeyToken(bad), bad).toBeUndefined()
    }
  })

  it('hash with scrypt and a salt; only the right secret verifies', async () => {
    const { secret } = generateApiKeyToken()
    const hash = await hashSecret(secret)
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$/)
    expect(hash).not.toContain(secret)
    expect(await hashSecret(secret)).not.toBe(hash)
    expect(await verifySecret(secret, hash)).toBe(true)
    expect(await verifySecret(generateApiKeyToken().secret, hash)).toBe(false)
    expect(await verifySecret(secret, 'md5$abc')).toBe(false)
  })
})
