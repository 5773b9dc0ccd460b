import { describe, expect, it } from 'vitest'
import type { ApiKeyRecord, ApiKeyStore } from '../api-keys/api-key-store.js'

let counter = 0
function record(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  counter += 1
  return {
    id: `k${Date.now().toString(36)}${counter}`.slice(0, 12).padEnd(12, '0'),
    name: `key ${counter}`,
    hash: 'scrypt$1$1$1$salt$hash',
    grants: [{ namespace: 'orders', scopes: ['read', 'write'] }],
    createdAt: 1_700_000_000_000 + counter,
    ...overrides,
  }
}

/** Every ApiKeyStore adapter passes this suite; `make` returns a fresh, empty store. */
export function runApiKeyStoreContract(name: string, make: () => Promise<ApiKeyStore>): void {
  describe(`${name} (ApiKeyStore contract)`, () => {
    it('stores a key and reads it back field for field', async () => {
      const store = await make()
      const key = record({ expiresAt: 1_800_000_000_000, rateLimit: { perSecond: 5, burst: 10 } })
      await store.insert(key)
      expect(await store.get(key.id)).toEqual(key)
      expect(await store.get('nosuchkey000')).toBeUndefined()
    })

    it('refuses a second key with the same id', async () => {
      const store = await make()
      const key = record()
      await store.insert(key)
      await expect(store.insert({ ...key, name: 'other' })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' })
      expect((await store.get(key.id))?.name).toBe(key.name)
    })

    it('lists newest first, revoked keys included', async () => {
      const store = await make()
      const older = record({ createdAt: 1 })
      const newer = record({ createdAt: 2 })
      await store.insert(older)
      await store.insert(newer)
      await store.revoke(older.id, 5)
      const listed = await store.list()
      expect(listed.map((k) => k.id)).toEqual([newer.id, older.id])
      expect(listed[1]?.revokedAt).toBe(5)
    })

    it('revokes once: the first time is kept, and an unknown id says false', async () => {
      const store = await make()
      const key = record()
      await store.insert(key)
      expect(await store.revoke(key.id, 100)).toBe(true)
      expect(await store.revoke(key.id, 200)).toBe(true)
      expect((await store.get(key.id))?.revokedAt).toBe(100)
      expect(await store.revoke('nosuchkey000', 1)).toBe(false)
    })

    it('replaces a hash only while it is the one the caller read', async () => {
      const store = await make()
      const key = record()
      await store.insert(key)
      expect(await store.replaceHash(key.id, 'hmac-sha256$other', 'hmac-sha256$new')).toBe(false)
      expect(await store.replaceHash(key.id, key.hash, 'hmac-sha256$new')).toBe(true)
      expect((await store.get(key.id))?.hash).toBe('hmac-sha256$new')
      expect(await store.replaceHash(key.id, key.hash, 'hmac-sha256$again')).toBe(false)
      expect(await store.replaceHash('nosuchkey000', key.hash, 'x')).toBe(false)
    })
  })
}
