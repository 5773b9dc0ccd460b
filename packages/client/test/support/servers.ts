import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createCache, type StrataCache } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { buildGateway, NamespaceRegistry, type Gateway, type NamespaceSpec } from '@strata/gateway'
import { servers, uniqueName } from '@strata/testkit'

/** Ports this package's tests may listen on (the range this workplace gives the integrations work). */
const FIRST_PORT = 19_400
const LAST_PORT = 19_499
let nextPort = FIRST_PORT + Math.floor(Math.random() * 50)

/** Listens on the first free port of the range, so parallel test files do not collide. */
export async function listenInRange(listen: (port: number) => Promise<unknown>): Promise<number> {
  for (let tries = 0; tries <= LAST_PORT - FIRST_PORT; tries++) {
    const port = nextPort
    nextPort = nextPort >= LAST_PORT ? FIRST_PORT : nextPort + 1
    try {
      await listen(port)
      return port
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
    }
  }
  throw new Error(`No free port in ${FIRST_PORT}-${LAST_PORT}`)
}

export interface RunningGateway {
  gateway: Gateway
  cache: StrataCache
  registry: NamespaceRegistry
  url: string
  stop(): Promise<void>
}

/** A real gateway (buildGateway) over real Redis under a unique key prefix, listening on loopback. */
export async function startGateway(namespaces: Record<string, NamespaceSpec> = {}): Promise<RunningGateway> {
  const cache = createCache({ prefix: uniqueName('client'), l2: redisStore({ url: servers.redisUrl }) })
  await cache.ready
  const registry = new NamespaceRegistry(cache)
  await registry.start(namespaces)
  const gateway = await buildGateway({ cache, registry, processMetrics: false })
  const port = await listenInRange((candidate) => gateway.app.listen({ host: '127.0.0.1', port: candidate }))
  return {
    gateway,
    cache,
    registry,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await gateway.close()
      registry.close()
      for (const name of cache.listNamespaces()) await cache.namespace(name).clear().catch(() => undefined)
      await cache.close()
    },
  }
}

/** A plain HTTP server whose handler each test scripts (for timeouts and flaky answers the gateway will not give). */
export async function startScriptedServer(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(handler)
  const port = await listenInRange(
    (candidate) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(candidate, '127.0.0.1', () => {
          server.off('error', reject)
          resolve()
        })
      }),
  )
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
