import { describe, expect, it } from 'vitest'
import { telemetryKey } from '../namespaces/namespace-security.js'
import { loggableUrl } from './log-redaction.js'

describe('loggableUrl', () => {
  const hashed = (ns: string) => ns === 'users'
  const hash = (key: string) => telemetryKey({ hashKeys: true }, key)

  it('hashes the key of a hashKeys namespace, keeps others, and drops query strings', () => {
    expect(loggableUrl('/v1/namespaces/users/keys/alice%40example.com?x=1', hashed, hash)).toBe(`/v1/namespaces/users/keys/${hash('alice@example.com')}`)
    expect(loggableUrl('/v1/namespaces/products/keys/42?token=abc', hashed, hash)).toBe('/v1/namespaces/products/keys/42')
    expect(loggableUrl('/v1/admin/namespaces/users', hashed, hash)).toBe('/v1/admin/namespaces/users')
    expect(loggableUrl('/v1/namespaces/users/keys/%E0%A4%A', hashed, hash)).toBe(`/v1/namespaces/users/keys/${hash('%E0%A4%A')}`)
  })
})
