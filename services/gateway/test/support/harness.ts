import { METHODS } from 'node:http'
import type { Readable } from 'node:stream'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { createCache, memoryStore, type BufferedWrite, type CreateCacheOptions, type InvalidationBus, type Keyring, type L2Store, type StrataCache, type WriteBehindQueue } from '@strata/core'
import { memcachedStore } from '@strata/core/memcached'
import { redisStore } from '@strata/core/redis'
import { servers, uniqueName } from '@strata/testkit'
import { buildGateway, type Gateway, type GatewayDeps } from '../../src/app.js'
import { NamespaceRegistry } from '../../src/namespaces/namespace-registry.js'
import type { NamespaceSpec } from '../../src/namespaces/namespace-spec.js'

/** A clock the test moves by hand; the engine and the proxy both read it. */
export class TestClock {
  constructor(public time = Date.now()) {}
  readonly now = (): number => this.time
  advance(ms: number): void {
    this.time += ms
  }
}

/** A write-behind queue that records what it was given (stands in for the BullMQ queue from packages/queue). */
export class RecordingQueue implements WriteBehindQueue {
  readonly writes: BufferedWrite[] = []
  enqueue(write: BufferedWrite): Promise<void> {
    this.writes.push(write)
    return Promise.resolve()
  }
  discardTagged(namespace: string, tag: string): Promise<number> {
    const before = this.writes.length
    const kept = this.writes.filter((w) => !(w.namespace === namespace && w.value !== null && w.tags?.includes(tag) === true))
    this.writes.splice(0, this.writes.length, ...kept)
    return Promise.resolve(before - kept.length)
  }
}

export interface TestGateway extends Gateway {
  cache: StrataCache
  registry: NamespaceRegistry
  prefix: string
  stop(): Promise<void>
}

export interface TestGatewayOptions extends Partial<Omit<GatewayDeps, 'cache' | 'registry'>> {
  /** Share one L2 key space between instances; default: a fresh unique prefix. */
  prefix?: string
  /** A named real server, or a store of the test's own (behind a TcpProxy it can cut, say). */
  l2?: 'redis' | 'memory' | 'memcached' | 'redis-cluster' | 'redis-sentinel' | L2Store
  resilience?: CreateCacheOptions['resilience']
  /** For namespaces whose security policy requires encryption. */
  keyring?: Keyring
  bus?: InvalidationBus
  queue?: WriteBehindQueue
  namespaces?: Record<string, NamespaceSpec>
  /** Origins namespace admins may use (the configuration's allowedOrigins). */
  allowedOrigins?: string[]
}

/** A gateway over real Redis (by default) under a unique key prefix, ready for inject() or listen(). */
export async function startGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const prefix = options.prefix ?? uniqueName('gw')
  const l2: L2Store =
    typeof options.l2 === 'object'
      ? options.l2
      : options.l2 === 'memory'
      ? memoryStore()
      : options.l2 === 'memcached'
        ? memcachedStore({ servers: servers.memcachedServers })
        : options.l2 === 'redis-cluster'
          ? redisStore({ clusterNodes: servers.redisClusterNodes })
          : options.l2 === 'redis-sentinel'
            ? redisStore({ sentinels: servers.redisSentinels, name: servers.redisSentinelName })
            : redisStore({ url: servers.redisUrl })
  const cache = createCache({
    prefix,
    l2,
    ...(options.bus === undefined ? {} : { bus: options.bus }),
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.resilience === undefined ? {} : { resilience: options.resilience }),
  })
  await cache.ready
  const registry = new NamespaceRegistry(cache, { keyring: options.keyring, allowedOrigins: options.allowedOrigins })
  await registry.start(options.namespaces ?? {})
  const gateway = await buildGateway({ processMetrics: false, docs: true, ...options, cache, registry })
  await gateway.app.ready()
  return {
    ...gateway,
    cache,
    registry,
    prefix,
    stop: async () => {
      await gateway.close()
      registry.close()
      await cache.clear().catch(() => undefined)
      for (const name of cache.listNamespaces()) await cache.namespace(name).clear().catch(() => undefined)
      await cache.close()
    },
  }
}

export interface OriginReply {
  status?: number
  headers?: Record<string, string | string[]>
  /** A Readable is streamed (chunked unless the headers give a Content-Length). */
  body?: string | Buffer | Readable
}

/** An HTTP origin on loopback whose answers each test scripts per path, counting requests and keeping their headers. */
export class ScriptedOrigin {
  readonly app: FastifyInstance = Fastify({ logger: false })
  readonly hits = new Map<string, number>()
  readonly requests: { method: string; path: string; headers: FastifyRequest['headers']; body: unknown }[] = []
  private readonly scripts = new Map<string, (request: FastifyRequest) => OriginReply | Promise<OriginReply>>()
  url = ''

  async start(): Promise<this> {
    this.app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string))
      } catch (error) {
        done(error as Error)
      }
    })
    // Every method Node parses (an origin may speak WebDAV, SSDP or anything else the proxy forwards).
    for (const method of METHODS) if (method !== 'CONNECT' && !this.app.supportedMethods.includes(method)) this.app.addHttpMethod(method, { hasBody: true })
    this.app.all('/*', async (request, reply) => {
      const path = request.url
      this.hits.set(path, (this.hits.get(path) ?? 0) + 1)
      this.requests.push({ method: request.method, path, headers: request.headers, body: request.body })
      const script = this.scripts.get(`${request.method} ${path.split('?')[0]}`) ?? this.scripts.get(`* ${path.split('?')[0]}`)
      if (script === undefined) return reply.code(404).send({ error: 'not scripted' })
      const answer = await script(request)
      reply.code(answer.status ?? 200)
      for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value)
      return reply.send(answer.body ?? '')
    })
    this.url = await this.app.listen({ port: 0, host: '127.0.0.1' })
    return this
  }

  /** Scripts `path` for `method` ('*' for any). */
  on(path: string, script: (request: FastifyRequest) => OriginReply | Promise<OriginReply>, method = '*'): void {
    this.scripts.set(`${method} ${path}`, script)
  }

  hitsOf(path: string): number {
    return this.hits.get(path) ?? 0
  }

  async stop(): Promise<void> {
    await this.app.close()
  }
}

export function json(body: unknown): string {
  return JSON.stringify(body)
}
