import { describe, expect, it } from 'vitest'
import { checkOriginHeaders, isInternalAddress, originOf } from './origin-guard.js'

describe('origin guard', () => {
  it('knows loopback, link-local and metadata addresses, in both families', () => {
    for (const address of ['127.0.0.1', '127.9.9.9', '169.254.169.254', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00:ec2::254', '::ffff:127.0.0.1', '::ffff:169.254.169.254']) {
      expect(isInternalAddress(address), address).toBe(true)
    }
    for (const address of ['10.1.2.3', '93.184.216.34', '2606:4700::1111', 'example.com']) expect(isInternalAddress(address), address).toBe(false)
  })

  it('names an origin by scheme, host and port, whatever the template', () => {
    expect(originOf('http://Example.com/items/{key}')).toBe('http://example.com:80')
    expect(originOf('https://example.com:8443/{key}?x=1')).toBe('https://example.com:8443')
    expect(originOf('http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000')
  })

  it('refuses Host, hop-by-hop and framing headers, and malformed names', () => {
    expect(() => checkOriginHeaders({ authorization: 'Bearer x', 'x-tenant': 't' })).not.toThrow()
    for (const name of ['Host', 'connection', 'Transfer-Encoding', 'content-length', 'upgrade', 'proxy-authorization', 'bad name']) {
      expect(() => checkOriginHeaders({ [name]: 'v' }), name).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }))
    }
  })
})
