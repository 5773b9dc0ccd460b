import { describe, expect, it } from 'vitest'
import { EMPTY_FORM, formOf, policyOf } from './policy-form.js'

describe('namespace policy form', () => {
  it('turns a valid form into the PUT body, keeping fields the form does not show', () => {
    const { policy, errors } = policyOf(
      { ...EMPTY_FORM, name: 'orders', ttl: '30000', grace: '60000', originUrl: 'https://api.example.com/orders/{key}', writeMode: 'write-through' },
      { codec: 'msgpack', security: { hashKeys: true } },
    )
    expect(errors).toEqual({})
    expect(policy).toEqual({
      codec: 'msgpack',
      ttl: 30000,
      grace: 60000,
      writeMode: 'write-through',
      origin: { url: 'https://api.example.com/orders/{key}' },
      security: { hashKeys: true, encryption: 'off' },
    })
  })

  it('names every field that is wrong, as the gateway would', () => {
    const { policy, errors } = policyOf({ ...EMPTY_FORM, name: '-bad', ttl: '1.5', maxKeyLength: '99999', writeMode: 'write-behind', originUrl: '' })
    expect(policy).toBeUndefined()
    expect(Object.keys(errors).sort()).toEqual(['maxKeyLength', 'name', 'originUrl', 'ttl'])
    expect(policyOf({ ...EMPTY_FORM, name: 'a', originUrl: 'ftp://x/{key}' }).errors.originUrl).toContain('{key}')
    expect(policyOf({ ...EMPTY_FORM, name: 'a', ttl: '' }).errors.ttl).toContain('required')
    expect(policyOf({ ...EMPTY_FORM, name: 'a', ttl: '5000' }, { security: { maxTtl: 1000 } }).errors.ttl).toContain('maxTtl')
  })

  it('round-trips a stored policy through the form', () => {
    const stored = { ttl: 60000, grace: 300000, writeMode: 'cache-aside' as const, origin: { url: 'http://127.0.0.1:4001/products/{key}' }, security: { encryption: 'off' as const } }
    expect(policyOf(formOf('products', stored), stored).policy).toEqual(stored)
  })
})
