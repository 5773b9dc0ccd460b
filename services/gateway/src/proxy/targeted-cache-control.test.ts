import { describe, expect, it } from 'vitest'
import { freshnessLifetime, notStorableReason } from './freshness.js'
import { responsePolicy } from './targeted-cache-control.js'

const T = Date.UTC(2026, 0, 1)
const TARGETS = ['strata-cache-control', 'cdn-cache-control']
const lifetime = (headers: Record<string, string>) => freshnessLifetime({ status: 200, headers: { date: new Date(T).toUTCString(), ...headers }, responseTime: T }, 0.1, TARGETS)

describe('targeted Cache-Control fields (RFC 9213)', () => {
  it('§2.1 the first field of the target list with a valid value wins; Cache-Control and Expires are ignored', () => {
    expect(lifetime({ 'cache-control': 'max-age=10', 'cdn-cache-control': 'max-age=600' })).toBe(600)
    expect(lifetime({ 'cache-control': 'max-age=10', 'cdn-cache-control': 'max-age=600', 'strata-cache-control': 'max-age=60' })).toBe(60)
    expect(lifetime({ 'cdn-cache-control': 'no-cache', expires: new Date(T + 99_000).toUTCString() })).toBe(0)
    expect(lifetime({ 'cache-control': 'no-store', 'cdn-cache-control': 'max-age=60' })).toBe(60)
    expect(notStorableReason('GET', 200, {}, { 'cache-control': 'no-store', 'cdn-cache-control': 'max-age=60' }, TARGETS)).toBeUndefined()
    expect(notStorableReason('GET', 200, {}, { 'cache-control': 'max-age=60', 'cdn-cache-control': 'no-store' }, TARGETS)).toBe('no-store')
  })

  it('§2.1 a field that is not a valid Structured Field Dictionary (RFC 8941) is skipped: the next one applies', () => {
    expect(lifetime({ 'cache-control': 'max-age=10', 'strata-cache-control': 'max-age=60 garbage', 'cdn-cache-control': 'max-age=600' })).toBe(600)
    expect(lifetime({ 'cache-control': 'max-age=10', 'cdn-cache-control': 'Max-Age=600' })).toBe(10)
    expect(lifetime({ 'cache-control': 'max-age=10', 'cdn-cache-control': '' })).toBe(10)
    expect(responsePolicy({ 'cdn-cache-control': 'max-age=5' }, []).targeted).toBe(false)
  })

  it('§2.1 an sf-decimal or negative value is not a delta-seconds: stale; parameters are ignored; ?0 is absent', () => {
    expect(lifetime({ 'cdn-cache-control': 'max-age=60.0' })).toBe(0)
    expect(lifetime({ 'cdn-cache-control': 'max-age=-1' })).toBe(0)
    expect(lifetime({ 'cdn-cache-control': 'max-age=60;foo=bar' })).toBe(60)
    expect(responsePolicy({ 'cdn-cache-control': 'private=?0, max-age=5' }, TARGETS).cc.has('private')).toBe(false)
    expect(responsePolicy({ 'cdn-cache-control': 'private, max-age=5' }, TARGETS).cc.has('private')).toBe(true)
  })
})
