import { describe, expect, it } from 'vitest'
import { ApiKeys, MemoryApiKeyStore, type ApiKeyRecord } from '../src/index.js'

class CountingStore extends MemoryApiKeyStore {
  gets = 0
  override get(id: string): Promise<ApiKeyRecord | undefined> {
    this.gets += 1
    return super.get(id)
  }
}

describe('ApiKeys', () => {
  it('shows the token once: create returns it, list and get never contain it or the hash', async () => {
    const keys = new ApiKeys(new MemoryApiKeyStore())
    const { token, key } = await keys.create({ name: 'ci', grants: [{ namespace: 'orders', scopes: ['read'] }] })
    expect(token.startsWith(`sk_${key.id}_`)).toBe(true)
    const listed = JSON.stringify(await keys.list())
    expect(listed).toContain(key.id)
    expect(listed).not.toContain(token.slice(16))
    expect(listed).not.toContain('scrypt')
    expect(await keys.verify(token)).toMatchObject({ kind: 'api-key', id: `key:${key.id}`, grants: [{ namespace: 'orders', scopes: ['read'] }] })
  })

  it('rejects a wrong secret for a real id, garbage, and an expired key', async () => {
    let now = 1_000_000
    const keys = new ApiKeys(new MemoryApiKeyStore(), { clock: () => now })
    const { token, key } = await keys.create({ name: 'x', grants: [], expiresAt: 2_000_000 })
    expect(await keys.verify(`sk_${key.id}_${'A'.repeat(43)}`)).toBeUndefined()
    expect(await keys.verify('not a key')).toBeUndefined()
    expect(await keys.verify(token)).toBeDefined()
    now = 3_000_000
    expect(await keys.verify(token)).toBeUndefined()
  })

  it('caches a verified key (no store read) and a revocation elsewhere takes effect within cacheTtlMs', async () => {
    let now = 1_000_000
    const store = new CountingStore()
    const here = new ApiKeys(store, { clock: () => now, cacheTtlMs: 5_000 })
    const elsewhere = new ApiKeys(store, { clock: () => now, cacheTtlMs: 5_000 })
    const { token, key } = await here.create({ name: 'x', grants: [] })
    expect(await here.verify(token)).toBeDefined()
    const reads = store.gets
    for (let i = 0; i < 100; i++) await here.verify(token)
    expect(store.gets).toBe(reads)

    await elsewhere.revoke(key.id)
    now += 4_999
    expect(await here.verify(token)).toBeDefined()
    now += 2
    expect(await here.verify(token)).toBeUndefined()
    expect((await here.get(key.id)).revokedAt).toBeDefined()
  })

  it('revokes at once on the instance that revoked, and says E_API_KEY_NOT_FOUND for an unknown id', async () => {
    const keys = new ApiKeys(new MemoryApiKeyStore())
    const { token, key } = await keys.create({ name: 'x', grants: [] })
    expect(await keys.verify(token)).toBeDefined()
    await keys.revoke(key.id)
    expect(await keys.verify(token)).toBeUndefined()
    await expect(keys.revoke('nosuchkey000')).rejects.toMatchObject({ code: 'E_API_KEY_NOT_FOUND' })
  })
})
