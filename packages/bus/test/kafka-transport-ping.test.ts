import { requireKafka } from '@strata/testkit'
import { describe, expect, it } from 'vitest'
import { KafkaTransport } from '../src/transport/kafka/index.js'

// The gateway's readiness check of the bus: true against the real broker, false (in bounded time, no throw) when
// nothing listens, and false once closed.
describe('KafkaTransport.ping', () => {
  it('answers true when the broker answers and false once closed', async () => {
    const transport = new KafkaTransport({ brokers: await requireKafka(), clientId: 'strata-ping-test' })
    expect(await transport.ping()).toBe(true)
    await transport.close()
    expect(await transport.ping()).toBe(false)
  })

  it('answers false within its timeout when no broker listens', async () => {
    const transport = new KafkaTransport({ brokers: ['127.0.0.1:9'], clientId: 'strata-ping-test' })
    const started = Date.now()
    expect(await transport.ping(500)).toBe(false)
    expect(Date.now() - started).toBeLessThan(5_000)
    await transport.close()
  })
})
