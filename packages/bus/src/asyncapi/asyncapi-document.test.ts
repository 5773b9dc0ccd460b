import { describe, expect, it } from 'vitest'
import { Ajv } from 'ajv'
import { createEvent } from '../envelope/event-envelope.js'
import { STRATA_EVENTS } from '../events/strata-events.js'
import { TOPICS } from '../topics.js'
import { buildAsyncApiDocument } from './asyncapi-document.js'

type Doc = {
  asyncapi: string
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>
  operations: Record<string, { action: string; channel: { $ref: string } }>
  components: { messages: Record<string, { name: string; payload: Record<string, unknown> }> }
}

describe('the AsyncAPI document', () => {
  const doc = buildAsyncApiDocument() as Doc

  it('has a channel for every topic in TOPICS and a message for every event type in STRATA_EVENTS, on its topic', () => {
    expect(doc.asyncapi).toBe('3.0.0')
    const addresses = Object.values(doc.channels).map((channel) => channel.address)
    for (const topic of Object.values(TOPICS)) expect(addresses).toContain(topic)
    for (const [type, event] of Object.entries(STRATA_EVENTS)) {
      const channel = Object.values(doc.channels).find((candidate) => candidate.address === event.topic)!
      const names = Object.values(channel.messages).map((ref) => doc.components.messages[ref.$ref.split('/').pop()!]!.name)
      expect(names, type).toContain(type)
    }
  })

  it('resolves every $ref and gives every channel a send and a receive operation', () => {
    const text = JSON.stringify(doc)
    for (const [, ref] of text.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
      const target = ref!.split('/').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], doc)
      expect(target, ref).toBeDefined()
    }
    for (const id of Object.keys(doc.channels)) {
      const actions = Object.values(doc.operations).filter((operation) => operation.channel.$ref === `#/channels/${id}`).map((operation) => operation.action)
      expect(actions.sort(), id).toEqual(['receive', 'send'])
    }
  })

  it('describes real events: an invalidation envelope validates against its message payload, a wrong one does not', () => {
    const payload = doc.components.messages.strata_invalidation_v1!.payload
    const event = createEvent({ type: 'strata.invalidation.v1', source: 'test', data: { origin: 'a', namespace: 'users', kind: 'keys', keys: ['1'], at: 1 } })
    // A plain JSON Schema validator, as a consumer reading the document would use.
    const validate = new Ajv({ strict: false }).compile(payload)
    expect(validate(event)).toBe(true)
    expect(validate({ ...event, data: { ...event.data, kind: 'explode' } })).toBe(false)
  })
})
