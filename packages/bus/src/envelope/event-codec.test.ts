import { isStrataError } from '@strata/core'
import { describe, expect, it } from 'vitest'
import { createEvent } from './event-envelope.js'
import { EVENT_HEADERS, decodeEvent, encodeEvent } from './event-codec.js'

const TRACE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
const invalidation = { origin: 'a', namespace: 'orders', kind: 'keys', keys: ['order:1'], at: 1 }

function reason(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    expect(isStrataError(error, 'E_EVENT_INVALID')).toBe(true)
    return (error as Error).message
  }
  throw new Error('expected E_EVENT_INVALID')
}

describe('event envelope', () => {
  it('fills the CloudEvents defaults and round-trips through a message, headers included', () => {
    const event = createEvent({ type: 'order.updated', source: 'shop/orders', subject: 'order:42', data: { id: 42 }, traceparent: TRACE })
    expect(event).toMatchObject({ specversion: '1.0', datacontenttype: 'application/json', type: 'order.updated' })
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(Date.parse(event.time)).not.toBeNaN()
    const message = encodeEvent(event)
    expect(message.key).toBe('order:42')
    expect(message.headers).toMatchObject({ [EVENT_HEADERS.traceparent]: TRACE, [EVENT_HEADERS.type]: 'order.updated', [EVENT_HEADERS.id]: event.id })
    expect(decodeEvent({ value: Buffer.from(message.value), headers: message.headers ?? {} })).toEqual(event)
  })

  it('takes the traceparent from the header when the envelope has none', () => {
    const event = createEvent({ type: 'order.updated', source: 's', data: {} })
    const decoded = decodeEvent({ value: Buffer.from(JSON.stringify(event)), headers: { traceparent: TRACE } })
    expect(decoded.traceparent).toBe(TRACE)
  })

  it('refuses bad JSON, a broken envelope and a bad traceparent, naming the field', () => {
    expect(reason(() => decodeEvent({ value: Buffer.from('{"id":'), headers: {} }))).toMatch(/^Invalid JSON/)
    const event = createEvent({ type: 'order.updated', source: 's', data: {} })
    expect(reason(() => decodeEvent({ value: Buffer.from(JSON.stringify({ ...event, id: undefined })), headers: {} }))).toMatch(/\/id/)
    expect(reason(() => decodeEvent({ value: Buffer.from(JSON.stringify({ ...event, time: 'yesterday' })), headers: {} }))).toMatch(/\/time/)
    expect(reason(() => decodeEvent({ value: Buffer.from(JSON.stringify({ ...event, specversion: '0.3' })), headers: {} }))).toMatch(/specversion/)
    expect(reason(() => encodeEvent({ ...event, traceparent: 'nope' }))).toMatch(/traceparent/)
  })

  it("checks the data of Strata's own event types, on produce and on consume", () => {
    const good = createEvent({ type: 'strata.invalidation.v1', source: 's', data: invalidation })
    expect(() => encodeEvent(good)).not.toThrow()
    const bad = createEvent({ type: 'strata.invalidation.v1', source: 's', data: { ...invalidation, kind: 'everything' } })
    expect(reason(() => encodeEvent(bad))).toMatch(/strata\.invalidation\.v1 data: \/data\/kind/)
    expect(reason(() => decodeEvent({ value: Buffer.from(JSON.stringify(bad)), headers: {} }))).toMatch(/\/data\/kind/)
    const audit = createEvent({ type: 'strata.audit.v1', source: 's', data: { actor: 'ops', action: 'purge', resource: 'ns/orders', outcome: 'maybe', at: 1 } })
    expect(reason(() => encodeEvent(audit))).toMatch(/\/data\/outcome/)
  })

  it("leaves a user domain event's data to the consumer", () => {
    const event = createEvent({ type: 'order.updated', source: 's', data: 'anything' })
    expect(() => encodeEvent(event)).not.toThrow()
  })
})
