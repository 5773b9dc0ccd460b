import { describe, expect, it } from 'vitest'
import { STRATA_EVENTS } from './events/strata-events.js'
import { TOPICS, deadLetterTopic, isDeadLetterTopic } from './topics.js'

describe('topics', () => {
  it('names the versioned topics of ARCHITECTURE.md and their dead-letter topics', () => {
    expect(TOPICS.invalidations).toBe('strata.invalidations.v1')
    expect(TOPICS.access).toBe('strata.access.v1')
    expect(TOPICS.errors).toBe('strata.errors.v1')
    expect(TOPICS.alerts).toBe('strata.alerts.v1')
    expect(TOPICS.audit).toBe('strata.audit.v1')
    expect(deadLetterTopic('orders.v1')).toBe('orders.v1.dlq')
    expect(isDeadLetterTopic('orders.v1.dlq')).toBe(true)
    expect(isDeadLetterTopic('orders.v1')).toBe(false)
  })

  it('gives every Strata event type a topic of its own version', () => {
    for (const [type, { topic }] of Object.entries(STRATA_EVENTS)) {
      expect(Object.values(TOPICS)).toContain(topic)
      expect(type.endsWith('.v1') && topic.endsWith('.v1')).toBe(true)
    }
  })
})
