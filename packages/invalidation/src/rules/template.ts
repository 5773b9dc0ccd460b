import { StrataError } from '@strata/core'
import type { EventEnvelope } from '@strata/bus'

/** A compiled `order:{data.id}` template: literal parts and envelope paths, in order. */
export interface Template {
  readonly source: string
  readonly paths: readonly string[]
  render(event: EventEnvelope): string
}

const ROOTS = new Set(['data', 'subject', 'id', 'type', 'source'])
const PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/

/**
 * Compiles a template. `{path}` reads from the event envelope: `data.…` (any depth), `subject`, `id`, `type`,
 * `source`. Throws a plain Error describing the syntax problem (the rules loader adds file, line and rule).
 */
export function compileTemplate(source: string): Template {
  const parts: ({ literal: string } | { path: string[] })[] = []
  let rest = source
  while (rest.length > 0) {
    const open = rest.indexOf('{')
    const close = rest.indexOf('}')
    if (close !== -1 && (open === -1 || close < open)) throw new Error(`template '${source}' has a '}' without its '{'`)
    if (open === -1) {
      parts.push({ literal: rest })
      break
    }
    if (open > 0) parts.push({ literal: rest.slice(0, open) })
    const end = rest.indexOf('}', open)
    if (end === -1) throw new Error(`template '${source}' has a '{' without its '}'`)
    const path = rest.slice(open + 1, end).trim()
    if (!PATH.test(path)) throw new Error(`template '${source}' has an invalid field '{${path}}' (expected e.g. {data.id})`)
    const segments = path.split('.')
    if (!ROOTS.has(segments[0]!) || (segments[0] !== 'data' && segments.length > 1)) {
      throw new Error(`template '${source}' reads '{${path}}'; fields come from data.…, subject, id, type or source`)
    }
    parts.push({ path: segments })
    rest = rest.slice(end + 1)
  }
  const paths = parts.flatMap((part) => ('path' in part ? [part.path.join('.')] : []))
  return {
    source,
    paths,
    render(event) {
      let out = ''
      for (const part of parts) {
        if ('literal' in part) {
          out += part.literal
          continue
        }
        const value = readPath(event, part.path)
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
          const found = value === undefined || value === null ? 'which the event lacks' : `which is ${Array.isArray(value) ? 'an array' : typeof value}, not a scalar`
          throw new StrataError('E_EVENT_INVALID', `template '${source}' needs ${part.path.join('.')}, ${found}`, {
            context: { eventId: event.id, eventType: event.type, field: part.path.join('.') },
          })
        }
        out += String(value)
      }
      return out
    },
  }
}

/** Reads `data.customer.id` from an envelope; undefined when any step is missing. */
export function readPath(event: EventEnvelope, path: readonly string[]): unknown {
  let current: unknown = event
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment)) return undefined
    current = (current as Record<string, unknown>)[segment]
  }
  return current
}
