import { randomUUID } from 'node:crypto'
import { requireKafka } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaTransport } from '../src/transport/kafka/index.js'
import type { Subscription } from '../src/transport/transport.js'

// A pipelined subscription (the invalidator's): a handler that called proceed() lets the next message of its partition
// start while it finishes, and the partition's committed offset never passes a message that is not done.
describe('Kafka transport: pipelined subscription', () => {
  let transport: KafkaTransport
  const open: Subscription[] = []

  beforeAll(async () => {
    transport = new KafkaTransport({ brokers: await requireKafka(), clientId: 'strata-bus-pipeline' })
  }, 60_000)

  afterAll(async () => {
    await Promise.all(open.map((subscription) => subscription.close()))
    await transport.close()
  }, 60_000)

  const committed = async (group: string, topic: string, partition: number): Promise<bigint> => {
    const offsets = await (await transport.admin()).fetchOffsets({ groupId: group, topics: [topic] })
    return BigInt(offsets[0]!.partitions.find((entry) => entry.partition === partition)!.offset)
  }

  it('hands over the next message once the handler proceeds, and commits each offset only after its handler and every earlier one finished', { timeout: 90_000 }, async () => {
    const run = randomUUID().slice(0, 8)
    const topic = `pipeline.${run}`
    const group = `pipeline.g.${run}`
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const handled: string[] = []
    const offsets = new Map<string, { partition: number; offset: bigint }>()
    const subscription = await transport.subscribe(topic, { group, pipeline: true }, async (message) => {
      const value = message.value.toString()
      offsets.set(value, { partition: message.partition, offset: BigInt(message.offset) })
      if (value === 'slow') {
        message.proceed?.()
        await gate
      }
      handled.push(value)
    })
    open.push(subscription)
    // One key: one partition, in this order.
    await transport.publish(topic, [
      { key: 'k', value: 'slow' },
      { key: 'k', value: 'fast' },
    ])
    await waitUntil(() => handled.includes('fast'))
    expect(handled).toEqual(['fast'])
    const slow = offsets.get('slow')!
    const fast = offsets.get('fast')!
    expect(fast.offset).toBe(slow.offset + 1n)
    // 'fast' is done, 'slow' is not: nothing past 'slow' may be committed (a crash now must redeliver it).
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(await committed(group, topic, slow.partition)).toBeLessThanOrEqual(slow.offset)

    release()
    await waitUntil(() => handled.includes('slow'))
    await waitUntil(async () => (await committed(group, topic, slow.partition)) === fast.offset + 1n)
  })

  it('redelivers a message whose handler is still running when the subscriber goes away, to the next member', { timeout: 90_000 }, async () => {
    const run = randomUUID().slice(0, 8)
    const topic = `pipeline.redeliver.${run}`
    const group = `pipeline.rg.${run}`
    const seen: string[] = []
    const first = await transport.subscribe(topic, { group, pipeline: true, deadLetter: false, retry: { attempts: 1, initialBackoffMs: 10, maxBackoffMs: 20 } }, async (message) => {
      const value = message.value.toString()
      seen.push(value)
      if (value === 'unacknowledged') {
        message.proceed?.()
        // Its acknowledgement never comes while this member lives (a broker that does not answer, say).
        throw Object.assign(new Error('not acknowledged'), { transient: true })
      }
      return Promise.resolve()
    })
    await transport.publish(topic, [
      { key: 'k', value: 'unacknowledged' },
      { key: 'k', value: 'after' },
    ])
    await waitUntil(() => seen.includes('after'))
    await first.close()
    const second: string[] = []
    const next = await transport.subscribe(topic, { group, pipeline: true }, (message) => {
      second.push(message.value.toString())
      return Promise.resolve()
    })
    open.push(next)
    await waitUntil(() => second.length >= 2)
    expect(second).toEqual(['unacknowledged', 'after'])
  })
})

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
