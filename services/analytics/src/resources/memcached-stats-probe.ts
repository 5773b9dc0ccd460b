import { connect } from 'node:net'
import type { ResourceProbe } from './resource-probe.js'

const FIELDS = ['bytes', 'limit_maxbytes', 'curr_items', 'evictions', 'get_hits', 'get_misses', 'curr_connections', 'cmd_get', 'cmd_set'] as const

/** Memcached `stats` over the text protocol (one short connection per sample: nothing to keep alive between polls). */
export class MemcachedStatsProbe implements ResourceProbe {
  readonly kind = 'memcached' as const
  constructor(
    readonly name: string,
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs = 2_000,
  ) {}

  sample(): Promise<Record<string, number>> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port })
      let text = ''
      const fail = (error: Error) => {
        socket.destroy()
        reject(error)
      }
      socket.setTimeout(this.timeoutMs, () => fail(new Error(`memcached ${this.host}:${this.port} did not answer stats within ${this.timeoutMs} ms`)))
      socket.on('error', fail)
      socket.on('connect', () => socket.write('stats\r\n'))
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1')
        if (!text.endsWith('END\r\n')) return
        socket.end()
        const values: Record<string, number> = {}
        for (const line of text.split('\r\n')) {
          const [tag, field, value] = line.split(' ')
          if (tag === 'STAT' && (FIELDS as readonly string[]).includes(field!)) values[field!] = Number(value)
        }
        const lookups = (values.get_hits ?? 0) + (values.get_misses ?? 0)
        if (lookups > 0) values.hit_ratio = (values.get_hits ?? 0) / lookups
        resolve(values)
      })
    })
  }
}
