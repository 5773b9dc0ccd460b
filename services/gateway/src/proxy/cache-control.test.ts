import { describe, expect, it } from 'vitest'
import { parseCacheControl } from './cache-control.js'
import { notStorableReason } from './freshness.js'

describe('Cache-Control (RFC 9111 §5.2, list syntax RFC 9110 §5.6)', () => {
  it.each([
    ['§5.6.1 a list: commas and optional whitespace', 'public,max-age=60 ,  no-transform', { public: true, 'no-transform': true }, { 'max-age': 60 }],
    ['§5.2 directive names are case-insensitive', 'Max-Age=60, PUBLIC', { public: true }, { 'max-age': 60 }],
    ['§5.2 a quoted-string argument is accepted for delta-seconds', 'max-age="60"', {}, { 'max-age': 60 }],
    ['§5.6.4 commas inside a quoted-string do not split', 'no-cache="set-cookie, private", max-age=5', { private: false, 'no-cache': true }, { 'max-age': 5 }],
    ['§5.6.4 a quoted-pair escapes a quote', 'private="a\\", no-store", s-maxage=3', { private: true, 'no-store': false }, { 's-maxage': 3 }],
    ['an unterminated quote cannot swallow private', 'no-cache="x, private', { private: true, 'no-cache': true }, {}],
    ['an unterminated quote cannot swallow no-store', 'community="x, no-store, max-age=60', { 'no-store': true }, { 'max-age': 60 }],
    ['§4.2.1 a repeated directive keeps its first value', 'max-age=5, max-age=9', {}, { 'max-age': 5 }],
    ['§1.2.2 delta-seconds is digits only (60.0 is invalid)', 'max-age=60.0, public', { public: true }, { 'max-age': undefined }],
    ['§1.2.2 a negative delta-seconds is invalid', 's-maxage=-1', {}, { 's-maxage': undefined }],
    ['a name that is not a token is skipped, the rest is read', 'a b, private, max-age=7', { private: true }, { 'max-age': 7 }],
    ['garbage after a value makes only that directive malformed', 'max-age=5x, private', { private: true }, { 'max-age': undefined }],
    ['empty members are ignored', ',, ,private,,', { private: true }, {}],
  ])('%s: %j', (_rule, field, present, seconds) => {
    const cc = parseCacheControl(field)
    for (const [name, expected] of Object.entries(present)) expect(cc.has(name), name).toBe(expected)
    for (const [name, expected] of Object.entries(seconds)) expect(cc.seconds(name), name).toBe(expected)
  })

  it('qualified directives list their fields (§5.2.2.4, §5.2.2.7)', () => {
    expect(parseCacheControl('no-cache="Set-Cookie, X-A"').fields('no-cache')).toEqual(['set-cookie', 'x-a'])
    expect(parseCacheControl('no-cache="x, private').fields('no-cache')).toEqual([])
  })

  it('a malformed max-age makes the response stale (§4.2.1), a malformed private still refuses storage (§5.2.2.7)', () => {
    expect(parseCacheControl('max-age=1.5').invalid.has('max-age')).toBe(true)
    expect(notStorableReason('GET', 200, {}, { 'cache-control': 'no-cache="x, private, max-age=600' })).toBe('private')
    expect(notStorableReason('GET', 200, {}, { 'cache-control': 'private=, max-age=600' })).toBe('private')
  })
})
