import { Redis } from 'ioredis'
import type { ResourceProbe } from './resource-probe.js'

const FIELDS = ['used_memory', 'maxmemory', 'instantaneous_ops_per_sec', 'evicted_keys', 'expired_keys', 'keyspace_hits', 'keyspace_misses', 'connected_clients'] as const

/** Redis INFO: memory, operations per second, evictions, hits and misses, clients. */
export class RedisInfoProbe implements ResourceProbe {
  readonly kind = 'redis' as const
  private readonly client: Redis

  constructor(readonly name: string, url: string) {
    this.client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 })
    this.client.on('error', () => undefined)
  }

  async sample(): Promise<Record<string, number>> {
    if (this.client.status === 'wait' || this.client.status === 'end') await this.client.connect()
    const info = parseInfo(await this.client.info())
    const values: Record<string, number> = {}
    for (const field of FIELDS) if (info[field] !== undefined) values[field] = Number(info[field])
    const lookups = (values.keyspace_hits ?? 0) + (values.keyspace_misses ?? 0)
    if (lookups > 0) values.hit_ratio = (values.keyspace_hits ?? 0) / lookups
    return values
  }

  async close(): Promise<void> {
    this.client.disconnect()
    await Promise.resolve()
  }
}

export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':')
    if (at > 0 && !line.startsWith('#')) fields[line.slice(0, at)] = line.slice(at + 1)
  }
  return fields
}
