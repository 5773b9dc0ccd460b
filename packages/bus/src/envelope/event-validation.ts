import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { StrataError } from '@strata/core'
import { STRATA_EVENTS, isStrataEventType } from '../events/strata-events.js'
import { EventEnvelopeSchema, type EventEnvelope } from './event-envelope.js'

const envelopeCheck = TypeCompiler.Compile(EventEnvelopeSchema)
const dataChecks = new Map<string, TypeCheck<TSchema>>(
  Object.entries(STRATA_EVENTS).map(([type, { data }]) => [type, TypeCompiler.Compile(data as TSchema)]),
)

/**
 * Checks an envelope, and its `data` when the type is one of Strata's own (user domain events carry whatever data
 * their producers define; the invalidator's rules check the fields they use). Throws E_EVENT_INVALID naming the first
 * offending field, so the reason in a dead-letter header is actionable.
 */
export function validateEvent(value: unknown): asserts value is EventEnvelope {
  if (!envelopeCheck.Check(value)) throw invalid('envelope', firstError(envelopeCheck, value), value)
  if (Number.isNaN(Date.parse(value.time))) throw invalid('envelope', `/time: '${value.time}' is not a date`, value)
  if (!isStrataEventType(value.type)) return
  const check = dataChecks.get(value.type)!
  if (!check.Check(value.data)) throw invalid(`${value.type} data`, firstError(check, value.data, '/data'), value)
}

function firstError(check: TypeCheck<TSchema>, value: unknown, base = ''): string {
  const error = check.Errors(value).First()
  if (error === undefined) return 'does not match the schema'
  return `${base}${error.path || '/'}: ${error.message}`
}

function invalid(what: string, detail: string, value: unknown): StrataError {
  const envelope = value as { id?: unknown; type?: unknown } | null
  return new StrataError('E_EVENT_INVALID', `Invalid ${what}: ${detail}`, {
    context: {
      ...(typeof envelope?.id === 'string' ? { eventId: envelope.id } : {}),
      ...(typeof envelope?.type === 'string' ? { eventType: envelope.type } : {}),
    },
  })
}
