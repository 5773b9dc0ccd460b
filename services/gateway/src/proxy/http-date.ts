/**
 * HTTP-date (RFC 9110 §5.6.7), read exactly: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), and the two obsolete
 * forms a recipient must still accept, rfc850-date (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime-date
 * (`Sun Nov  6 08:49:37 1994`). Anything else is invalid — `Date.parse` would read other zones, missing commas,
 * extra spaces or one-digit hours, and a cache must treat such an Expires as already expired (RFC 9111 §5.3).
 * Returns epoch ms, or undefined when the value is not an HTTP-date.
 */
export function parseHttpDate(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined
  let match = IMF_FIXDATE.exec(value)
  if (match !== null) return build(match[1]!, match[2]!, match[3]!, match[4]!, match[5]!, match[6]!)
  match = RFC850_DATE.exec(value)
  if (match !== null) {
    // §5.6.7: a two-digit year more than 50 years in the future is the most recent past year with those digits.
    // Read in the window (now − 50 years, now + 50 years]; 29 February is checked in the year finally chosen.
    const century = Math.floor(new Date(now).getUTCFullYear() / 100) * 100
    for (const year of [century + Number(match[3]) - 100, century + Number(match[3]), century + Number(match[3]) + 100]) {
      const time = build(match[1]!, match[2]!, String(year), match[4]!, match[5]!, match[6]!)
      const approximate = Date.UTC(year, MONTHS.indexOf(match[2]!), 1)
      if (approximate > now + FIFTY_YEARS_MS || approximate <= now - FIFTY_YEARS_MS) continue
      return time
    }
    return undefined
  }
  match = ASCTIME_DATE.exec(value)
  if (match !== null) return build(match[2]!.trim(), match[1]!, match[6]!, match[3]!, match[4]!, match[5]!)
  return undefined
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const FIFTY_YEARS_MS = 50 * 365.2425 * 86_400_000

// Case-sensitive on purpose: day-name, month and "GMT" are case-sensitive in the grammar. The day-name is checked
// for form only; that it names the right weekday is not something §5.6.7 asks a recipient to verify.
const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/
const RFC850_DATE =
  /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/
// asctime's day is `( 2DIGIT / ( SP DIGIT ) )`: " 6" or "16", never "6".
const ASCTIME_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{2}| \d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/

function build(day: string, month: string, year: string, hour: string, minute: string, second: string): number | undefined {
  const d = Number(day)
  const m = MONTHS.indexOf(month)
  const y = Number(year)
  const h = Number(hour)
  const min = Number(minute)
  // §5.6.7 allows second 60 (a leap second); it is read as the next second.
  const s = Number(second)
  if (d < 1 || h > 23 || min > 59 || s > 60) return undefined
  const date = new Date(0)
  // setUTCFullYear, not Date.UTC: a year below 100 ("0001", .NET's MinValue) must not become 19xx.
  date.setUTCFullYear(y, m, d)
  // 31 Feb is not a date; it would quietly roll into March.
  if (date.getUTCDate() !== d || date.getUTCMonth() !== m) return undefined
  return date.getTime() + ((h * 60 + min) * 60 + s) * 1000
}

/**
 * delta-seconds (RFC 9111 §1.2.2): 1*DIGIT only, so `7200.0`, `-1`, `+5` and ` 5x` are invalid. Values past 2^31 are
 * read as 2^31.
 */
export function parseDeltaSeconds(value: string | undefined): number | undefined {
  if (value === undefined || !DELTA_SECONDS.test(value)) return undefined
  return Math.min(Number(value), MAX_DELTA)
}

const DELTA_SECONDS = /^\d+$/
export const MAX_DELTA = 2_147_483_648
