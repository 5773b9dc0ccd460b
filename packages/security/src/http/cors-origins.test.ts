import { describe, expect, it } from 'vitest'
import { consoleCors, parseCorsOrigins } from './cors-origins.js'

describe('STRATA_CORS_ORIGINS', () => {
  it('parses a comma list into origins, and allows none when unset or empty', () => {
    expect(parseCorsOrigins(' http://127.0.0.1:8080/ , https://console.example.com/path ')).toEqual(['http://127.0.0.1:8080', 'https://console.example.com'])
    expect(parseCorsOrigins(undefined)).toEqual([])
    expect(parseCorsOrigins('')).toEqual([])
    expect(() => parseCorsOrigins('not a url')).toThrow()
  })

  it('allows a late list of origins through a function', () => {
    let origins: string[] = []
    const settings = consoleCors(() => origins)
    const allowed = (origin: string | undefined) => {
      let answer = false
      if (typeof settings.origin === 'function') settings.origin(origin, (_error, allow) => (answer = allow))
      return answer
    }
    expect(allowed('http://127.0.0.1:8080')).toBe(false)
    origins = ['http://127.0.0.1:8080']
    expect(allowed('http://127.0.0.1:8080')).toBe(true)
    expect(allowed('http://evil.example')).toBe(false)
    expect(allowed(undefined)).toBe(false)
    expect(consoleCors(['http://a']).methods).toEqual(['GET', 'POST', 'PUT', 'DELETE'])
  })
})
