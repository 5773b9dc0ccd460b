import { describe, expect, it } from 'vitest'
import { generateApiKeyToken, hashSecret, legacyScryptHash, parseApiKeyToken, verifyLegacySecret, verifySecret } from './api-key-token.js'

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

  it('hash with HMAC-SHA-256 keyed by the server secret; only the right secret under the right server secret verifies', () => {
    const { secret } = generateApiKeyToken()
    const hash = hashSecret(secret, 'server-secret-1')
    expect(hash).toMatch(/^hmac-sha256\$[A-Za-z0-9_-]{43}$/)
    expect(hash).not.toContain(secret)
    expect(hashSecret(secret, 'server-secret-2')).not.toBe(hash)
    expect(verifySecret(secret, hash, 'server-secret-1')).toBe(true)
    expect(verifySecret(secret, hash, 'server-secret-2')).toBe(false)
    expect(verifySecret(generateApiKeyToken().secret, hash, 'server-secret-1')).toBe(false)
    expect(verifySecret(secret, 'md5$abc', 'server-secret-1')).toBe(false)
  })

  it('still verifies an old scrypt hash, and refuses scrypt parameters it never wrote', async () => {
    const { secret } = generateApiKeyToken()
    const legacy = await legacyScryptHash(secret)
    expect(await verifyLegacySecret(secret, legacy)).toBe(true)
    expect(await verifyLegacySecret(generateApiKeyToken().secret, legacy)).toBe(false)
    expect(await verifyLegacySecret(secret, legacy.replace('scrypt$32768$', 'scrypt$1048576$'))).toBe(false)
  })
})
