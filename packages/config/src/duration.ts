import { Type } from '@sinclair/typebox'

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** The text form the schema accepts, as a pattern (a number of milliseconds is accepted as a number or digits). */
export const DURATION_PATTERN = '^(\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)|\\d+)$'

/**
 * `250ms`, `10s`, `5m`, `1h`, `7d`, or a number of milliseconds (as a number or as digits): what every duration
 * setting accepts (CONVENTIONS.md). Undefined when the value is none of these.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined
  if (typeof value !== 'string') return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text)
  const match = DURATION.exec(text)
  return match === null ? undefined : Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS])
}

export const DURATION_HINT = "milliseconds, or a duration such as '500ms', '10s', '5m', '1h', '1d'"

/**
 * A duration setting: milliseconds or a string, decoded to milliseconds. `x-duration` marks it for the loader (which
 * reads digits from the environment as milliseconds) and for the reference (which prints it as a duration).
 */
export function Duration(options: { default?: number; description?: string; minimum?: number } = {}) {
  const { minimum = 0, ...rest } = options
  return Type.Transform(Type.Union([Type.Integer({ minimum }), Type.String({ pattern: DURATION_PATTERN })], { ...rest, 'x-duration': true, 'x-minimum': minimum }))
    .Decode((value) => parseDuration(value)!)
    .Encode((value) => value)
}
