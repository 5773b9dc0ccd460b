import { describe, expect, it } from 'vitest'
import { allows, grantForRole, grantsFromScopeClaim } from './grants.js'

describe('grants', () => {
  it('allows a scope on the named namespace only', () => {
    const grants = [grantForRole('writer', 'orders')]
    expect(allows(grants, 'write', 'orders')).toBe(true)
    expect(allows(grants, 'read', 'orders')).toBe(true)
    expect(allows(grants, 'write', 'users')).toBe(false)
    expect(allows(grants, 'invalidate', 'orders')).toBe(false)
  })

  it('lets admin imply every scope, and * and prefix* cover namespaces, but only * covers global operations', () => {
    expect(allows([grantForRole('admin', 'orders')], 'invalidate', 'orders')).toBe(true)
    expect(allows([grantForRole('admin', 'orders')], 'admin', '*')).toBe(false)
    expect(allows([{ namespace: 'eu.*', scopes: ['read'] }], 'read', 'eu.orders')).toBe(true)
    expect(allows([{ namespace: 'eu.*', scopes: ['read'] }], 'read', 'us.orders')).toBe(false)
    expect(allows([{ namespace: '*', scopes: ['read'] }], 'read', 'anything')).toBe(true)
    expect(allows([{ namespace: '*', scopes: ['admin'] }], 'admin', '*')).toBe(true)
  })

  it('reads <scope>:<namespace> items from a scope claim and ignores the rest', () => {
    expect(grantsFromScopeClaim('read:orders write:orders openid profile invalidate:* bogus:x')).toEqual([
      { namespace: 'orders', scopes: ['read', 'write'] },
      { namespace: '*', scopes: ['invalidate'] },
    ])
    expect(grantsFromScopeClaim(42)).toEqual([])
  })
})
