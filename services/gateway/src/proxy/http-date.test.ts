import { describe, expect, it } from 'vitest'
import { parseDeltaSeconds, parseHttpDate } from './http-date.js'
import { ageOf, correctedInitialAge, freshnessLifetime } from './freshness.js'

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0)
const SUNDAY_1994 = Date.UTC(1994, 10, 6, 8, 49, 37)

describe('HTTP-date (RFC 9110 §5.6.7): the three forms, nothing else', () => {
  it.each([
    ['IMF-fixdate', 'Sun, 06 Nov 1994 08:49:37 GMT', SUNDAY_1994],
    ['rfc850-date', 'Sunday, 06-Nov-94 08:49:37 GMT', SUNDAY_1994],
    ['asctime-date, one-digit day padded with a space', 'Sun Nov  6 08:49:37 1994', SUNDAY_1994],
    ['asctime-date, two-digit day', 'Wed Nov 16 08:49:37 1994', Date.UTC(1994, 10, 16, 8, 49, 37)],
    ['IMF-fixdate, leap second 60 (§5.6.7 allows it)', 'Sun, 06 Nov 1994 23:59:60 GMT', Date.UTC(1994, 10, 7, 0, 0, 0)],
    ['IMF-fixdate, year 0001 (not 1901)', 'Mon, 01 Jan 0001 00:00:00 GMT', -62135596800000],
  ])('%s: %s', (_rule, value, expected) => {
    expect(parseHttpDate(value, NOW)).toBe(expected)
  })

  it.each([
    ['a zone other than GMT', 'Sun, 06 Nov 1994 08:49:37 UTC'],
    ['a numeric offset', 'Sun, 06 Nov 1994 08:49:37 +0000'],
    ['no comma after the day-name', 'Sun 06 Nov 1994 08:49:37 GMT'],
    ['extra spaces', 'Sun,  06 Nov 1994 08:49:37 GMT'],
    ['a one-digit hour', 'Sun, 06 Nov 1994 8:49:37 GMT'],
    ['a one-digit day', 'Sun, 6 Nov 1994 08:49:37 GMT'],
    ['dashes in an IMF-fixdate', 'Sun, 06-Nov-1994 08:49:37 GMT'],
    ['lowercase gmt (case-sensitive)', 'Sun, 06 Nov 1994 08:49:37 gmt'],
    ['lowercase month', 'Sun, 06 nov 1994 08:49:37 GMT'],
    ['a two-digit year in an IMF-fixdate', 'Sun, 06 Nov 94 08:49:37 GMT'],
    ['asctime with an unpadded day', 'Sun Nov 6 08:49:37 1994'],
    ['ISO 8601', '1994-11-06T08:49:37Z'],
    ['an epoch number', '0'],
    ['hour 24', 'Sun, 06 Nov 1994 24:00:00 GMT'],
    ['31 February', 'Tue, 31 Feb 2026 00:00:00 GMT'],
    ['trailing text', 'Sun, 06 Nov 1994 08:49:37 GMT; x'],
    ['leading space', ' Sun, 06 Nov 1994 08:49:37 GMT'],
    ['empty', ''],
  ])('invalid: %s (%j)', (_rule, value) => {
    expect(parseHttpDate(value, NOW)).toBeUndefined()
  })

  it.each([
    ['94 is 1994 (2094 would be more than 50 years ahead)', 'Sunday, 06-Nov-94 08:49:37 GMT', 1994],
    ['30 is 2030 (within 50 years ahead)', 'Wednesday, 06-Nov-30 08:49:37 GMT', 2030],
    ['76 is 2076 (less than 50 years ahead of 2026-12)', 'Friday, 06-Nov-76 08:49:37 GMT', 2076],
    ['77 is 1977 (2077 is more than 50 years ahead)', 'Sunday, 06-Nov-77 08:49:37 GMT', 1977],
    ['00 is 2000', 'Monday, 06-Nov-00 08:49:37 GMT', 2000],
  ])('rfc850 two-digit year, 50-year rule: %s', (_rule, value, year) => {
    const time = parseHttpDate(value, NOW)
    expect(time).toBeDefined()
    expect(new Date(time!).getUTCFullYear()).toBe(year)
  })
})

describe('delta-seconds (RFC 9111 §1.2.2) and Age (§5.1)', () => {
  it.each([
    ['0', 0],
    ['7200', 7200],
    ['007', 7],
    ['99999999999', 2_147_483_648],
  ])('valid %j is %d (values past 2^31 are 2^31)', (value, expected) => {
    expect(parseDeltaSeconds(value)).toBe(expected)
  })

  it.each(['7200.0', '-1', '+5', '5x', ' 5', '', '1e3', '0x10'])('invalid %j', (value) => {
    expect(parseDeltaSeconds(value)).toBeUndefined()
  })

  it('Age: 7200.0 is ignored, not read as 7200; of a list the first member counts', () => {
    expect(ageOf({ age: '7200.0' })).toBe(0)
    expect(ageOf({ age: '-5' })).toBe(0)
    expect(ageOf({ age: '30, 60' })).toBe(30)
    const t = Date.UTC(2026, 0, 1)
    expect(correctedInitialAge(t, t, { date: new Date(t).toUTCString(), age: '7200.0' })).toBe(0)
  })
})

describe('Expires (RFC 9111 §5.3): an invalid value means already expired', () => {
  const t = Date.UTC(2026, 0, 1)
  const at = (expires: string | string[]) => freshnessLifetime({ status: 200, headers: { date: new Date(t).toUTCString(), expires }, responseTime: t })
  it.each([
    ['a non-GMT zone', 'Thu, 01 Jan 2026 01:00:00 PST'],
    ['a missing comma', 'Thu 01 Jan 2026 01:00:00 GMT'],
    ['a one-digit hour', 'Thu, 01 Jan 2026 1:00:00 GMT'],
    ['"0"', '0'],
    ['"-1"', '-1'],
  ])('%s is stale at once', (_rule, value) => {
    expect(at(value)).toBe(0)
  })
  it('a valid one gives Expires − Date; two Expires lines are invalid', () => {
    expect(at('Thu, 01 Jan 2026 01:00:00 GMT')).toBe(3600)
    expect(at(['Thu, 01 Jan 2026 01:00:00 GMT', 'Thu, 01 Jan 2026 02:00:00 GMT'])).toBe(0)
  })
})
