import { describe, expect, it } from 'vitest'
import type { IncomingMessage } from '../transport.js'
import { MemoryTransport } from './memory-transport.js'

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('MemoryTransport retention (retainPerPartition)', () => {
  it('keeps the newest messages of a partition, so a long-lived process does not grow without end; a group behind skips to the oldest kept', async () => {
    const transport = new MemoryTransport({ partitions: 1, retainPerPartition: 10 })
    const live: string[] = []
    await transport.subscribe('t', { group: 'live' }, (message: IncomingMessage) => {
      live.push(message.value.toString())
      return Promise.resolve()
    })
    const values = Array.from({ length: 45 }, (_, i) => `m${i}`)
    // A subscriber that keeps up loses nothing.
    for (const [index, value] of values.entries()) {
      await transport.publish('t', [{ value }])
      await until(() => live.length === index + 1)
    }
    expect(live).toEqual(values)
    // One that starts from the beginning finds only what is retained: between 10 and 20 of the newest, in order.
    const late: IncomingMessage[] = []
    await transport.subscribe('t', { group: 'late', startFrom: 'earliest' }, (message) => {
      late.push(message)
      return Promise.resolve()
    })
    await until(() => late.at(-1)?.value.toString() === 'm44')
    expect(late.length).toBeGreaterThanOrEqual(10)
    expect(late.length).toBeLessThan(20)
    expect(late.map((message) => message.value.toString())).toEqual(values.slice(-late.length))
    expect(late[0]!.offset).toBe(String(values.length - late.length))
    await transport.close()
  })
})
