import { describe, expect, it } from 'vitest'
import { Ajv } from 'ajv'
import { createEvent } from '../envelope/event-envelope.js'
import { STRATA_EVENTS } from '../events/strata-events.js'
import { StrataError } from '@strata/core'
import { TOPICS } from '../topics.js'
import { defineTopicUse } from '../contract/topic-use.js'
import { buildAsyncApiDocument } from './asyncapi-document.js'

type Doc = {
  asyncapi: string
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>
  operations: Record<string, { action: string; channel: { $ref: string } }>
  components: { messages: Record<string, { name: string; payload: Record<string, unknown> }> }
}

// Two made-up components that between them produce and consume every topic (the platform's real ones are collected
// by services/platform, which this package may not import).
const ids = Object.keys(TOPICS) as (keyof typeof TOPICS)[]
const writer = defineTopicUse('writer', { produces: Object.fromEntries(ids.map((id) => [id, `writes ${id}`])) as Record<keyof typeof TOPICS, string> })
const reader = defineTopicUse('reader', { consumes: Object.fromEntries(ids.filter((id) => id !== 'audit').map((id) => [id, `reads ${id}`])) as Record<keyof typeof TOPICS, string> })

describe('the AsyncAPI document', () => {
  const doc = buildAsyncApiDocument([writer, reader]) as Doc

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

  it('generates the operations from the declarations, and says so when a topic has no consumer instead of inventing one', () => {
    const channels = doc.channels as unknown as Record<string, { description: string }>
    expect(doc.operations.writer_sends_errors).toMatchObject({ action: 'send', channel: { $ref: '#/channels/errors' }, summary: 'writer: writes errors' })
    expect(doc.operations.reader_receives_errors).toMatchObject({ action: 'receive', summary: 'reader: reads errors' })
    expect(channels.errors!.description).toContain('Producers: writer. Consumers: reader.')
    expect(channels.audit!.description).toContain('Producers: writer. Consumers: none.')
    expect(Object.keys(doc.operations).filter((id) => id.endsWith('_audit'))).toEqual(['writer_sends_audit'])
  })

  it('refuses declarations it cannot read (a component twice, a topic TOPICS does not have) with a typed error', () => {
    expect(() => buildAsyncApiDocument([writer, writer])).toThrow(StrataError)
    const unknown = defineTopicUse('odd', { produces: { nope: 'x' } as unknown as Record<'errors', string> })
    expect(() => buildAsyncApiDocument([writer, reader, unknown])).toThrow(/'nope', which is not a topic/)
  })

  it('resolves every $ref and gives every channel a send and a receive operation (where a component declares one)', () => {
    const text = JSON.stringify(doc)
    for (const [, ref] of text.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
      const target = ref!.split('/').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], doc)
      expect(target, ref).toBeDefined()
    }
    for (const id of Object.keys(doc.channels)) {
      const actions = Object.values(doc.operations).filter((operation) => operation.channel.$ref === `#/channels/${id}`).map((operation) => operation.action)
      expect(actions.sort(), id).toEqual(id === 'audit' ? ['send'] : ['receive', 'send'])
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
