import { connect } from 'node:net'

/**
 * Where the real servers are, from the STRATA_* variables in CONVENTIONS.md, with the loopback defaults that
 * `pnpm infra:up` uses. Every adapter test reads these and nothing else.
 */
export const servers = {
  redisUrl: env('STRATA_REDIS_URL', 'redis://127.0.0.1:6379'),
  queueRedisUrl: env('STRATA_QUEUE_REDIS_URL', 'redis://127.0.0.1:6380'),
  redisClusterNodes: hostPorts(env('STRATA_REDIS_CLUSTER_NODES', range('127.0.0.1', 7000, 6))),
  redisSentinels: hostPorts(env('STRATA_REDIS_SENTINELS', range('127.0.0.1', 26379, 3))),
  redisSentinelName: env('STRATA_REDIS_SENTINEL_NAME', 'strata-primary'),
  memcachedServers: env('STRATA_MEMCACHED_SERVERS', '127.0.0.1:11211,127.0.0.1:11212').split(',').map((s) => s.trim()),
  kafkaBrokers: env('STRATA_KAFKA_BROKERS', '127.0.0.1:9092').split(',').map((s) => s.trim()),
  postgresUrl: env('STRATA_POSTGRES_URL', 'postgres://postgres@127.0.0.1:5433/strata'),
  zipkinUrl: env('STRATA_ZIPKIN_URL', 'http://127.0.0.1:9411').replace(/\/+$/, ''),
} as const

export interface HostPort {
  host: string
  port: number
}

function env(name: string, fallback: string): string {
  const value = process.env[name]
  return value === undefined || value.trim() === '' ? fallback : value.trim()
}

function range(host: string, firstPort: number, count: number): string {
  return Array.from({ length: count }, (_, i) => `${host}:${firstPort + i}`).join(',')
}

export function hostPorts(list: string): HostPort[] {
  return list.split(',').map((item) => {
    const [host, port] = item.trim().split(':')
    return { host: host ?? '127.0.0.1', port: Number(port) }
  })
}

/** The host and port of a `redis://` or `postgres://` URL, with the scheme's default port. */
export function urlHostPort(url: string, defaultPort: number): HostPort {
  const parsed = new URL(url)
  return { host: parsed.hostname, port: parsed.port === '' ? defaultPort : Number(parsed.port) }
}

/**
 * What to send once connected, and how to judge the reply so far: true when it is the expected server's answer,
 * false when it is some other server's, undefined while more bytes are needed. Without one, an open port is enough.
 */
export interface Handshake {
  request: Buffer | string
  accepts: (reply: Buffer) => boolean | undefined
}

/**
 * Resolves when host:port accepts a TCP connection (and answers the handshake, when one is given); rejects with a
 * message naming `pnpm infra:up` otherwise.
 */
export async function requireTcp(
  what: string,
  target: HostPort,
  timeoutMs = 2000,
  handshake?: Handshake,
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port })
    const timer = setTimeout(() => fail(new Error(handshake ? 'no answer in time' : 'timed out')), timeoutMs)
    let reply = Buffer.alloc(0)
    function done() {
      clearTimeout(timer)
      socket.destroy()
      resolve()
    }
    function fail(error: Error) {
      clearTimeout(timer)
      socket.destroy()
      reject(
        new Error(
          `${what} is not reachable at ${target.host}:${target.port} (${error.message}). ` +
            'Start the real servers with `pnpm infra:up` (or point the STRATA_* variables at your own).',
        ),
      )
    }
    socket.once('connect', () => {
      if (handshake === undefined) done()
      else socket.write(handshake.request)
    })
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk])
      const verdict = handshake?.accepts(reply)
      if (verdict === true) done()
      else if (verdict === false) fail(new Error('something else answers there'))
    })
    socket.once('end', () => fail(new Error('closed the connection without a valid answer')))
    socket.once('error', fail)
  })
}
