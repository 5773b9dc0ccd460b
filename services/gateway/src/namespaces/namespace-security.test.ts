import { describe, expect, it } from 'vitest'
import { createKeyring } from '@strata/core'
import { KeyHasher, checkKey, checkSecurityPolicy, checkWrite, telemetryKey, valuesLoggable } from './namespace-security.js'

describe('namespace security policy', () => {
  it('hashes keys for telemetry only when the policy says so, and keeps values out of logs by default', () => {
    expect(telemetryKey(undefined, 'u-1')).toBe('u-1')
    const hashed = telemetryKey({ hashKeys: true }, 'u-1')
    expect(hashed).toMatch(/^hmac:[0-9a-f]{16}$/)
    expect(hashed).toBe(telemetryKey({ hashKeys: true }, 'u-1'))
    expect(hashed).not.toContain('u-1')
    expect(valuesLoggable(undefined)).toBe(false)
    expect(valuesLoggable({ logValues: true })).toBe(true)
  })

  it('keys the hash with a server secret: not the unsalted sha256 of the key, the same for the same secret', async () => {
    const { createHash } = await import('node:crypto')
    const a = new KeyHasher('secret-a')
    expect(a.hash('alice@example.com')).toBe(new KeyHasher('secret-a').hash('alice@example.com'))
    expect(a.hash('alice@example.com')).not.toBe(new KeyHasher('secret-b').hash('alice@example.com'))
    expect(a.hash('alice@example.com')).not.toContain(createHash('sha256').update('alice@example.com').digest('hex').slice(0, 16))
    expect(telemetryKey({ hashKeys: true }, 'u-1', a)).toBe(a.hash('u-1'))
  })

  it('matches keyPattern in linear time and refuses what RE2 cannot do', () => {
    const started = performance.now()
    expect(() => checkKey('n', { keyPattern: '(a+)+b' }, `${'a'.repeat(5_000)}!`)).toThrow(expect.objectContaining({ code: 'E_POLICY_VIOLATION' }))
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(() => checkSecurityPolicy({ keyPattern: '(a)\\1' }, undefined, undefined)).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }))
    expect(() => checkSecurityPolicy({ keyPattern: '(?=a)a' }, undefined, undefined)).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }))
  })

  it('matches the whole key against keyPattern, so a prefix match is not enough', () => {
    expect(() => checkKey('n', { keyPattern: 'u-[0-9]+' }, 'u-12')).not.toThrow()
    expect(() => checkKey('n', { keyPattern: 'u-[0-9]+' }, 'u-12x')).toThrow(expect.objectContaining({ code: 'E_POLICY_VIOLATION' }))
    expect(() => checkKey('n', { keyPattern: 'u-[0-9]+|admin' }, 'xadmin')).toThrow(expect.objectContaining({ code: 'E_POLICY_VIOLATION' }))
  })

  it('measures values as UTF-8 JSON, and needs a keyring for required encryption', () => {
    expect(() => checkWrite('n', { maxValueBytes: 4 }, undefined, 'é')).not.toThrow()
    expect(() => checkWrite('n', { maxValueBytes: 4 }, undefined, 'éé')).toThrow(expect.objectContaining({ code: 'E_POLICY_VIOLATION' }))
    expect(() => checkSecurityPolicy({ encryption: 'required' }, undefined, undefined)).toThrow(expect.objectContaining({ code: 'E_ENCRYPTION_REQUIRED' }))
    expect(() => checkSecurityPolicy({ encryption: 'required' }, undefined, createKeyring('k', { k: Buffer.alloc(32, 1) }))).not.toThrow()
  })
})
