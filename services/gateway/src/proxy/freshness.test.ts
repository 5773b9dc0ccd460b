import { describe, expect, it } from 'vitest'
import { parseCacheControl } from './cache-control.js'
import { correctedInitialAge, freshnessLifetime, notStorableReason } from './freshness.js'

const T = Date.parse('2026-01-01T00:00:00Z')
const date = (ms: number) => new Date(ms).toUTCString()

describe('Cache-Control parsing', () => {
  it('reads directives case-insensitively, quoted values, first occurrence wins, invalid delta-seconds flagged', () => {
    const cc = parseCacheControl('Max-Age=60, no-cache="set-cookie, x-a", max-age=5, s-maxage=abc')
    expect(cc.seconds('max-age')).toBe(60)
    expect(cc.fields('no-cache')).toEqual(['set-cookie', 'x-a'])
    expect(cc.seconds('s-maxage')).toBeUndefined()
    expect(cc.invalid.has('s-maxage')).toBe(true)
  })
})

describe('freshness lifetime (RFC 9111 §4.2.1)', () => {
  const at = (headers: Record<string, string>, status = 200) => freshnessLifetime({ status, headers: { date: date(T), ...headers }, responseTime: T })
  it('s-maxage, then max-age, then Expires − Date, then the heuristic', () => {
    expect(at({ 'cache-control': 'max-age=10, s-maxage=20', expires: date(T + 99_000) })).toBe(20)
    expect(at({ 'cache-control': 'max-age=10', expires: date(T + 99_000) })).toBe(10)
    expect(at({ expires: date(T + 99_000) })).toBe(99)
    expect(at({ 'last-modified': date(T - 1_000_000) })).toBe(100)
    expect(at({ 'last-modified': date(T - 1_000_000) }, 302)).toBe(0)
    expect(at({ expires: 'garbage', 'last-modified': date(T - 1_000_000) })).toBe(0)
  })
})

describe('age (§4.2.3)', () => {
  it('is the larger of the apparent age and the Age header plus the response delay', () => {
    expect(correctedInitialAge(T, T + 2_000, { date: date(T - 10_000), age: '3' })).toBe(12)
    expect(correctedInitialAge(T, T + 2_000, { date: date(T), age: '30' })).toBe(32)
  })
})

describe('storability for a shared cache (§3, §3.5)', () => {
  it('refuses no-store, private, Set-Cookie, Vary: *, Authorization without public/s-maxage/must-revalidate, and non-GET', () => {
    const ok = { 'cache-control': 'max-age=5' }
    expect(notStorableReason('GET', 200, {}, ok)).toBeUndefined()
    expect(notStorableReason('POST', 200, {}, ok)).toBe('method')
    expect(notStorableReason('GET', 200, {}, { 'cache-control': 'no-store' })).toBe('no-store')
    expect(notStorableReason('GET', 200, { 'cache-control': 'no-store' }, ok)).toBe('no-store')
    expect(notStorableReason('GET', 200, {}, { 'cache-control': 'private="x", max-age=5' })).toBe('private')
    expect(notStorableReason('GET', 200, {}, { ...ok, 'set-cookie': 'a=1' })).toBe('set-cookie')
    expect(notStorableReason('GET', 200, {}, { ...ok, vary: 'accept, *' })).toBe('vary-star')
    expect(notStorableReason('GET', 200, { authorization: 'x' }, ok)).toBe('authorization')
    expect(notStorableReason('GET', 200, { authorization: 'x' }, { 'cache-control': 's-maxage=5' })).toBeUndefined()
    expect(notStorableReason('GET', 500, {}, {})).toBe('no-freshness')
    expect(notStorableReason('GET', 206, {}, ok)).toBe('range')
  })
})
