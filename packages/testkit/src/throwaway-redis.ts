import { Redis } from 'ioredis'
import { freePort } from './free-port.js'
import { RedisProcess } from './redis-process.js'

/** A redis-server of one test's own and a client on it, for tests that demote, kill and restart their Redis. */
export interface ThrowawayRedis {
  server: RedisProcess
  /**
   * Configured as the services build their L2 client (@strata/config's createL2RedisClient): a command is retried
   * over two reconnects, then rejected, so an outage surfaces as an error instead of a request waiting forever.
   */
  client: Redis
  /** What a demoted primary does in a Sentinel failover: it follows a primary that is not there and answers READONLY. */
  demote(): Promise<void>
  /** Back to a primary (after a restart, say). */
  promote(): Promise<void>
  dispose(): Promise<void>
}

export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const server = new RedisProcess(await freePort())
  await server.start()
  const client = new Redis(server.url, { maxRetriesPerRequest: 2 })
  client.on('error', () => undefined)
  return {
    server,
    client,
    async demote() {
      await client.call('REPLICAOF', '127.0.0.1', String(await freePort()))
    },
    async promote() {
      await client.call('REPLICAOF', 'NO', 'ONE')
    },
    async dispose() {
      client.disconnect()
      await server.dispose()
    },
  }
}
