import { describe, expect, it } from 'vitest'
import { isStrataError } from '@strata/core'
import { normalizeTarget } from './request-target.js'

describe('proxied request targets (RFC 3986 §5.2.4, RFC 9112 §3.2)', () => {
  it.each([
    ['/a/b?x=1', '/a/b?x=1'],
    ['', '/'],
    ['/a/./b', '/a/b'],
    ['/a/b/../c', '/a/c'],
    ['/a/%2e%2E/c', '/c'],
    ['/a/b/..', '/a/'],
    ['/a%2Fb', '/a%2Fb'],
    ['/a/settings%2F..%2Fx.png', '/a/settings%2F..%2Fx.png'],
    ['/q?path=../../etc', '/q?path=../../etc'],
  ])('%j is forwarded as %j', (target, expected) => {
    expect(normalizeTarget(target)).toBe(expected)
  })

  it.each([
    ['/../internal', 'dot segments'],
    ['/a/../../internal', 'dot segments'],
    ['/%2e%2e/internal', 'dot segments'],
    ['/.%2E/internal', 'dot segments'],
    ['/..%2finternal', 'dot segments'],
    ['/a%2F..%2F..%2Finternal', 'dot segments'],
    ['/..%5cinternal', 'dot segments'],
    ['http://evil.example/x', 'origin-form'],
    ['//evil.example/x', 'origin-form'],
    ['/a b', 'characters'],
    ['/a#frag', 'characters'],
    ['/caf\u00e9', 'characters'],
    ['/a%zz', 'percent-encoded'],
    ['/a%2', 'percent-encoded'],
  ])('%j is refused (400 E_INVALID_TARGET: %s)', (target, why) => {
    try {
      normalizeTarget(target)
      expect.unreachable()
    } catch (error) {
      expect(isStrataError(error, 'E_INVALID_TARGET')).toBe(true)
      expect((error as Error).message).toContain(why)
    }
  })
})
