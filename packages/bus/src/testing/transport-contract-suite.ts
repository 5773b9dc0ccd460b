import { randomUUID } from 'node:crypto'
import { StrataError } from '@strata/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deadLetterTopic } from '../topics.js'
import { DEAD_LETTER_HEADERS } from '../transport/delivery.js'
import type { DeadLetter, IncomingMessage, MessageHandler, SubscribeOptions, Subscription, Transport } from '../transport/transport.js'

export interface TransportContractOptions {
  /** Shown in the suite name. */
  name: string
  create: () => Transport | Promise<Transport>
  /** Per test; real brokers need a few seconds for group joins. Default 60 s. */
  timeoutMs?: number
}

/**
 * The behaviour every Transport adapter must have, run unchanged against each (the in-process adapter, and Kafka
 * against a real broker). Every test uses its own topics and groups, so the suite can share a broker.
 */
export function runTransportContractSuite(options: TransportContractOptions): void {
  const timeout = options.timeoutMs ?? 60_000
  const retry = { attempts: 3, initialBackoffMs: 20, maxBackoffMs: 100 }

  describe(`Transport contract: ${options.name}`, () => {
    let transport: Transport
    const open: Subscription[] = []
    const unique = (what: string) => `contract.${what}.${randomUUID().slice(0, 8)}`
    const subscribe = async (topics: string | string[], subscribeOptions: SubscribeOptions, handler: MessageHandler) => {
      const subscription = await transport.subscribe(topics, { retry, ...subscribeOptions }, handler)
      open.push(subscription)
      return subscription
    }

    beforeAll(async () => {
      transport = await options.create()
    }, timeout)

    afterAll(async () => {
      await Promise.all(open.map((subscription) => subscription.close()))
      await transport.close()
    }, timeout)

    it('delivers key, value and headers, in publish order for each key', { timeout }, async () => {
      const topic = unique('order')
      const inbox = collect()
      await subscribe(topic, { group: unique('g') }, inbox.handler)
      const messages = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 3}`, value: `v${i}`, headers: { traceparent: traceparent(i) } }))
      await transport.publish(topic, messages.slice(0, 10))
      await transport.publish(topic, messages.slice(10))
      await inbox.waitFor(30)
      for (const key of ['k0', 'k1', 'k2']) {
        const expected = messages.filter((m) => m.key === key).map((m) => m.value)
        expect(inbox.received.filter((m) => m.key === key).map((m) => m.value.toString())).toEqual(expected)
      }
      const first = inbox.received.find((m) => m.value.toString() === 'v7')!
      expect(first.headers.traceparent).toBe(traceparent(7))
      expect(first.topic).toBe(topic)
      expect(first.attempt).toBe(1)
      expect(typeof first.offset).toBe('string')
      expect(first.timestamp).toBeGreaterThan(Date.now() - 60_000)
    })

    it('starts a new group at the latest offset, or the earliest when asked', { timeout }, async () => {
      const topic = unique('start')
      await transport.publish(topic, [{ key: 'a', value: 'old-1' }, { key: 'b', value: 'old-2' }])
      const latest = collect()
      const earliest = collect()
      await subscribe(topic, { group: unique('latest') }, latest.handler)
      await subscribe(topic, { group: unique('earliest'), startFrom: 'earliest' }, earliest.handler)
      await transport.publish(topic, [{ key: 'a', value: 'new' }])
      await earliest.waitFor(3)
      await latest.waitFor(1)
      await settle()
      expect(latest.values()).toEqual(['new'])
      expect(earliest.values().sort()).toEqual(['new', 'old-1', 'old-2'])
    })

    it('delivers a message published the moment subscribe resolves, on a topic it just created (latest, both modes)', { timeout }, async () => {
      // Several rounds at once: a subscription that re-resolves "latest" after it reported itself live (a rebalance
      // right after the first join) skips exactly this first message, and only some of the time.
      const rounds = Array.from({ length: 6 }, async (_, round) => {
        const topic = unique(`first-${round}`)
        const shared = collect()
        const broadcast = collect()
        await subscribe(topic, { group: unique('g') }, shared.handler)
        await subscribe(topic, { group: unique('b'), mode: 'broadcast', instanceId: 'i' }, broadcast.handler)
        await transport.publish(topic, [{ key: 'k', value: `first-${round}` }])
        await shared.waitFor(1, 20_000)
        await broadcast.waitFor(1, 20_000)
        return [...shared.values(), ...broadcast.values()]
      })
      for (const [round, values] of (await Promise.all(rounds)).entries()) expect(values).toEqual([`first-${round}`, `first-${round}`])
    })

    it('shares the partitions of a topic among the members of a group: each message handled once', { timeout }, async () => {
      const topic = unique('share')
      const group = unique('g')
      const a = collect()
      const b = collect()
      await subscribe(topic, { group }, a.handler)
      await subscribe(topic, { group }, b.handler)
      await settle()
      const values = Array.from({ length: 60 }, (_, i) => `m${i}`)
      await transport.publish(topic, values.map((value) => ({ key: value, value })))
      await waitUntil(() => a.received.length + b.received.length >= 60, timeout)
      await settle()
      expect([...a.values(), ...b.values()].sort()).toEqual([...values].sort())
      expect(a.received.length).toBeGreaterThan(0)
      expect(b.received.length).toBeGreaterThan(0)
    })

    it('broadcast: every instance gets every message through a group of its own', { timeout }, async () => {
      const topic = unique('broadcast')
      const base = unique('l1')
      const a = collect()
      const b = collect()
      const subA = await subscribe(topic, { group: base, mode: 'broadcast', instanceId: 'a' }, a.handler)
      const subB = await subscribe(topic, { group: base, mode: 'broadcast', instanceId: 'b' }, b.handler)
      expect(subA.groupId).toBe(`${base}.a`)
      expect(subB.groupId).toBe(`${base}.b`)
      await transport.publish(topic, Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })))
      await a.waitFor(10)
      await b.waitFor(10)
      expect(a.values().sort()).toEqual(b.values().sort())
      await expect(transport.subscribe(topic, { group: base, mode: 'broadcast' }, a.handler)).rejects.toThrow(/instanceId/)
    })

    it('retries a failing handler with backoff, then moves on', { timeout }, async () => {
      const topic = unique('retry')
      const attempts: number[] = []
      const handled: string[] = []
      await subscribe(topic, { group: unique('g') }, (message) => {
        const value = message.value.toString()
        if (value === 'flaky') {
          attempts.push(message.attempt)
          if (message.attempt < 3) return Promise.reject(new Error('not yet'))
        }
        handled.push(value)
        return Promise.resolve()
      })
      await transport.publish(topic, [{ key: 'k', value: 'flaky' }, { key: 'k', value: 'after' }])
      await waitUntil(() => handled.length === 2, timeout)
      expect(attempts).toEqual([1, 2, 3])
      expect(handled).toEqual(['flaky', 'after'])
    })

    it('dead-letters a poison message (E_EVENT_INVALID) at once, with the reason, and keeps going', { timeout }, async () => {
      const topic = unique('poison')
      const dlq = collect()
      await subscribe(deadLetterTopic(topic), { group: unique('dlq'), startFrom: 'earliest' }, dlq.handler)
      const handled: string[] = []
      let poisonAttempts = 0
      const subscription = await subscribe(topic, { group: unique('g') }, (message) => {
        if (message.value.toString() === 'poison') {
          poisonAttempts++
          return Promise.reject(new StrataError('E_EVENT_INVALID', 'Invalid JSON: Unexpected token'))
        }
        handled.push(message.value.toString())
        return Promise.resolve()
      })
      await transport.publish(topic, [
        { key: 'k', value: 'poison', headers: { 'x-origin': 'test' } },
        { key: 'k', value: 'good' },
      ])
      await dlq.waitFor(1)
      await waitUntil(() => handled.length === 1, timeout)
      expect(poisonAttempts).toBe(1)
      expect(handled).toEqual(['good'])
      const dead = dlq.received[0]!
      expect(dead.value.toString()).toBe('poison')
      expect(dead.key).toBe('k')
      expect(dead.headers['x-origin']).toBe('test')
      expect(dead.headers[DEAD_LETTER_HEADERS.reason]).toBe('Invalid JSON: Unexpected token')
      expect(dead.headers[DEAD_LETTER_HEADERS.code]).toBe('E_EVENT_INVALID')
      expect(dead.headers[DEAD_LETTER_HEADERS.topic]).toBe(topic)
      expect(dead.headers[DEAD_LETTER_HEADERS.group]).toBe(subscription.groupId)
      expect(dead.headers[DEAD_LETTER_HEADERS.offset]).toMatch(/^\d+$/)
    })

    it('dead-letters a message whose handler still fails after the configured attempts', { timeout }, async () => {
      const topic = unique('exhausted')
      const dlq = collect()
      await subscribe(deadLetterTopic(topic), { group: unique('dlq'), startFrom: 'earliest' }, dlq.handler)
      const handled: string[] = []
      const letters: DeadLetter[] = []
      // The subscriber hears of it too (its log, its strata.errors.v1 report); a throwing listener changes nothing.
      const onDeadLetter = (letter: DeadLetter) => {
        letters.push(letter)
        throw new Error('a broken listener')
      }
      await subscribe(topic, { group: unique('g'), onDeadLetter }, (message) => {
        if (message.value.toString() === 'doomed') return Promise.reject(new Error('origin said no'))
        handled.push(message.value.toString())
        return Promise.resolve()
      })
      await transport.publish(topic, [{ key: 'k', value: 'doomed' }, { key: 'k', value: 'next' }])
      await dlq.waitFor(1)
      await waitUntil(() => handled.length === 1, timeout)
      const dead = dlq.received[0]!
      expect(dead.headers[DEAD_LETTER_HEADERS.attempts]).toBe('3')
      expect(dead.headers[DEAD_LETTER_HEADERS.code]).toBe('E_HANDLER_FAILED')
      expect(dead.headers[DEAD_LETTER_HEADERS.reason]).toBe('handler failed after 3 attempts: origin said no')
      expect(handled).toEqual(['next'])
      expect(letters).toEqual([
        { topic, partition: expect.any(Number) as unknown, offset: dead.headers[DEAD_LETTER_HEADERS.offset], key: 'k', code: 'E_HANDLER_FAILED', reason: 'handler failed after 3 attempts: origin said no', attempts: 3 },
      ])
    })

    it('retries transient errors (a dependency down) past the attempt limit and never dead-letters them', { timeout }, async () => {
      const topic = unique('transient')
      const dlq = collect()
      await subscribe(deadLetterTopic(topic), { group: unique('dlq'), startFrom: 'earliest' }, dlq.handler)
      let calls = 0
      const handled: string[] = []
      await subscribe(topic, { group: unique('g') }, (message) => {
        if (++calls <= 5) return Promise.reject(new StrataError('E_L2_UNAVAILABLE', 'Redis is down'))
        handled.push(message.value.toString())
        return Promise.resolve()
      })
      await transport.publish(topic, [{ key: 'k', value: 'patient' }])
      await waitUntil(() => handled.length === 1, timeout)
      await settle()
      expect(calls).toBe(6)
      expect(dlq.received).toHaveLength(0)
    })

    it('commits only after success: a message never handled goes to the next member of the group', { timeout }, async () => {
      const topic = unique('redeliver')
      const group = unique('g')
      let failing = 0
      const first = await transport.subscribe(topic, { group, deadLetter: false, retry }, () => {
        failing++
        return Promise.reject(new Error('crashing consumer'))
      })
      await transport.publish(topic, [{ key: 'k', value: 'survivor' }])
      await waitUntil(() => failing >= 2, timeout)
      await first.close()
      const second = collect()
      await subscribe(topic, { group }, second.handler)
      await second.waitFor(1)
      expect(second.values()).toEqual(['survivor'])
    })

    it('close waits for the in-flight handler and commits it', { timeout }, async () => {
      const topic = unique('shutdown')
      const group = unique('g')
      let started = false
      let finished = false
      const first = await transport.subscribe(topic, { group, retry }, async () => {
        started = true
        await new Promise((resolve) => setTimeout(resolve, 400))
        finished = true
      })
      await transport.publish(topic, [{ key: 'k', value: 'slow' }])
      await waitUntil(() => started, timeout)
      await first.close()
      expect(finished).toBe(true)
      const second = collect()
      await subscribe(topic, { group }, second.handler)
      await transport.publish(topic, [{ key: 'k', value: 'next' }])
      await second.waitFor(1)
      await settle()
      expect(second.values()).toEqual(['next'])
    })
  })
}

interface Inbox {
  received: IncomingMessage[]
  handler: MessageHandler
  values(): string[]
  waitFor(count: number, timeoutMs?: number): Promise<void>
}

function collect(): Inbox {
  const received: IncomingMessage[] = []
  return {
    received,
    handler: (message) => {
      received.push(message)
      return Promise.resolve()
    },
    values: () => received.map((message) => message.value.toString()),
    waitFor: (count, timeoutMs = 30_000) => waitUntil(() => received.length >= count, timeoutMs),
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Long enough for a stray duplicate or an unexpected delivery to show up. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 300))
}

function traceparent(i: number): string {
  return `00-${'0'.repeat(31)}${i % 10}-${'0'.repeat(15)}1-01`
}
