import { describe, expect, it } from 'vitest'
import { decodeEvent } from '../envelope/event-codec.js'
import type { ErrorEvent } from '../events/strata-events.js'
import { TOPICS } from '../topics.js'
import { MemoryTransport } from '../transport/memory/memory-transport.js'
import type { IncomingMessage, Transport } from '../transport/transport.js'
import { ErrorEventPublisher } from './error-event-publisher.js'

async function collect(transport: Transport): Promise<IncomingMessage[]> {
  const received: IncomingMessage[] = []
  await transport.subscribe(TOPICS.errors, { group: 'test', startFrom: 'earliest' }, (message) => {
    received.push(message)
    return Promise.resolve()
  })
  return received
}

describe('ErrorEventPublisher', () => {
  it('publishes valid strata.error.v1 events on strata.errors.v1, keyed by namespace, with subject and trace', async () => {
    const transport = new MemoryTransport()
    const received = await collect(transport)
    const errors = new ErrorEventPublisher(transport, { service: 'write-behind', source: 'strata/write-behind/host-1', clock: () => 1_700_000_000_000 })
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    errors.report({ code: 'E_ORIGIN_REJECTED', message: 'gave up on orders/7 v3', namespace: 'orders', operation: 'flush', subject: 'orders/7', traceparent })
    errors.report({ code: 'E_BUS_UNAVAILABLE', message: 'no broker' })
    await errors.flush()
    await expect.poll(() => received.length).toBe(2)

    const [first, second] = received.map((message) => ({ key: message.key, event: decodeEvent(message) }))
    expect(first!.key).toBe('orders')
    expect(first!.event).toMatchObject({ type: 'strata.error.v1', source: 'strata/write-behind/host-1', subject: 'orders/7', traceparent })
    expect(first!.event.data as ErrorEvent).toEqual({ service: 'write-behind', code: 'E_ORIGIN_REJECTED', message: 'gave up on orders/7 v3', namespace: 'orders', operation: 'flush', at: 1_700_000_000_000 })
    expect(second!.key).toBe('write-behind')
    expect(errors.stats).toEqual({ published: 2, dropped: 0 })
    await transport.close()
  })

  it('never throws or waits on a failing bus: the batch is dropped, counted and handed to onPublishError', async () => {
    const failures: number[] = []
    const broken: Transport = { name: 'broken', publish: () => Promise.reject(new Error('down')), subscribe: () => Promise.reject(new Error('down')), close: () => Promise.resolve() }
    const errors = new ErrorEventPublisher(broken, { service: 'warmer', onPublishError: (_error, dropped) => failures.push(dropped) })
    expect(() => errors.report({ code: 'E_WARM_FAILED', message: 'x' })).not.toThrow()
    errors.report({ code: 'E_WARM_FAILED', message: 'y' })
    await errors.flush()
    expect(failures).toEqual([2])
    expect(errors.stats).toEqual({ published: 0, dropped: 2 })
  })

  it('holds at most maxBuffered reports while a publish is in flight, and none after close', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const published: number[] = []
    const slow: Transport = {
      name: 'slow',
      publish: async (_topic, messages) => {
        await gate
        published.push(messages.length)
      },
      subscribe: () => Promise.reject(new Error('unused')),
      close: () => Promise.resolve(),
    }
    const errors = new ErrorEventPublisher(slow, { service: 'cdc', maxBuffered: 3 })
    errors.report({ code: 'E_A', message: '1' })
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    for (let i = 0; i < 5; i++) errors.report({ code: 'E_A', message: String(i) })
    release()
    await errors.close()
    errors.report({ code: 'E_A', message: 'late' })
    expect(published).toEqual([1, 3])
    expect(errors.stats).toEqual({ published: 4, dropped: 3 })
  })
})
