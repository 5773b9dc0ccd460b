import { createServer, type Server } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { createCache, type L2Store, type StrataCache } from '@strata/core'
import { uniqueName } from '@strata/testkit'
import { buildGateway, type Gateway } from '../../src/app.js'
import { NamespaceRegistry } from '../../src/namespaces/namespace-registry.js'

/**
 * An origin on loopback backed by a Map: GET /{store}/{key} reads (404 when absent), PUT writes, DELETE removes. It is
 * the source of truth a write-through write must reach before the gateway acknowledges it.
 */
export class MapOrigin {
  readonly data = new Map<string, unknown>()
  private server: Server | undefined

  constructor(readonly port: number) {}

  urlFor(store: string): string {
    return `http://127.0.0.1:${this.port}/${store}/{key}`
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const path = decodeURIComponent(request.url ?? '/')
      let body = ''
      request.on('data', (chunk: Buffer) => (body += chunk.toString()))
      request.on('end', () => {
        if (request.method === 'PUT') {
          this.data.set(path, JSON.parse(body))
          response.writeHead(204).end()
        } else if (request.method === 'DELETE') {
          this.data.delete(path)
          response.writeHead(204).end()
        } else if (this.data.has(path)) {
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.data.get(path)))
        } else response.writeHead(404).end()
      })
    })
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve))
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve))
  }
}

export interface FailoverScenario {
  /** A fresh L2 store on the throwaway servers (called for the serving gateway and again for the verifying one). */
  makeStore: () => L2Store
  /** Kills the primary; resolves once it is dead. */
  kill: () => Promise<void>
  /** One write and read of a key on the killed primary's keyspace, through a Strata store: true once it works again. */
  probe: (store: L2Store) => Promise<boolean>
  originPort: number
  /** Load before the kill and after recovery, ms. */
  steadyMs?: number
  workers?: number
}

export interface FailoverReport {
  requests: number
  reads: number
  writes: number
  /** Responses other than 2xx, by status. */
  errors: Record<number, number>
  errorCount: number
  /** Kill → a Strata store writes and reads the killed primary's keys again. */
  recoveryMs: number
  /** Kill → the serving cache's L2 circuit is closed again and one of its own L2 writes succeeded. */
  engineRecoveryMs: number
  /** Slowest answer during the whole run, ms (reported, not asserted: a figure of this machine). */
  slowestMs: number
  acknowledgedWrites: number
  /** Acknowledged writes whose last value is missing from the origin. */
  lostAtOrigin: string[]
  /** Acknowledged writes whose last value a fresh gateway (no L1, reading L2 then the origin) does not answer. */
  staleThroughCache: string[]
  /** Same, through the gateway that served the load (L1 included). */
  staleThroughServingGateway: string[]
}

const CATALOG_KEYS = 200
const WRITE_KEYS_PER_WORKER = 25

interface Instance {
  gateway: Gateway
  cache: StrataCache
  registry: NamespaceRegistry
  store: L2Store
  close(): Promise<void>
}

async function startInstance(prefix: string, store: L2Store, origin: MapOrigin): Promise<Instance> {
  const cache = createCache({ prefix, l2: store, resilience: { failureThreshold: 3, halfOpenAfterMs: 250, maxPendingInvalidations: 100_000 } })
  await cache.ready
  const registry = new NamespaceRegistry(cache)
  await registry.start({
    catalog: { ttl: 60_000, grace: 60_000, origin: { url: origin.urlFor('catalog') } },
    orders: { ttl: 60_000, writeMode: 'write-through', origin: { url: origin.urlFor('orders') } },
  })
  const gateway = await buildGateway({ cache, registry, docs: false, processMetrics: false })
  await gateway.app.ready()
  return {
    gateway,
    cache,
    registry,
    store,
    close: async () => {
      await gateway.close()
      registry.close()
      await cache.close()
    },
  }
}

/**
 * Acceptance 1 and 2 of issue 12: a gateway over `makeStore()` answers a paced mix of read-through reads and
 * write-through writes from `workers` concurrent clients while the primary is killed, promoted away and recovered.
 */
export async function runFailover(scenario: FailoverScenario): Promise<FailoverReport> {
  const origin = new MapOrigin(scenario.originPort)
  await origin.start()
  const prefix = uniqueName('failover')
  for (let i = 0; i < CATALOG_KEYS; i++) origin.data.set(`/catalog/item-${i}`, { item: i })
  const serving = await startInstance(prefix, scenario.makeStore(), origin)
  const app = serving.gateway.app
  const steadyMs = scenario.steadyMs ?? 1_000
  const workers = scenario.workers ?? 4

  // Warm: every catalog key in L1 and L2.
  for (let i = 0; i < CATALOG_KEYS; i++) await app.inject({ method: 'GET', url: `/v1/namespaces/catalog/keys/item-${i}` })

  const report: FailoverReport = {
    requests: 0,
    reads: 0,
    writes: 0,
    errors: {},
    errorCount: 0,
    recoveryMs: -1,
    engineRecoveryMs: -1,
    slowestMs: 0,
    acknowledgedWrites: 0,
    lostAtOrigin: [],
    staleThroughCache: [],
    staleThroughServingGateway: [],
  }
  const acked = new Map<string, unknown>()
  let stop = false
  let recovered = false

  const worker = async (w: number): Promise<void> => {
    for (let n = 0; !stop; n++) {
      const write = n % 5 === 4
      const started = performance.now()
      let status: number
      if (write) {
        // Before and during the outage each worker overwrites the same few keys, so a write the outage kept from L2
        // leaves the previous value there; after recovery it writes other keys, so nothing repairs those by chance.
        const slot = Math.floor(n / 5) % WRITE_KEYS_PER_WORKER
        const key = recovered ? `after-w${w}-${slot}` : `w${w}-${slot}`
        const value = { worker: w, n }
        const response = await app.inject({ method: 'PUT', url: `/v1/namespaces/orders/keys/${key}`, payload: { value } })
        status = response.statusCode
        // Each worker writes its own keys one at a time, so its last acknowledged value per key is well defined.
        if (status >= 200 && status < 300) acked.set(key, value)
        report.writes++
      } else {
        const response = await app.inject({ method: 'GET', url: `/v1/namespaces/catalog/keys/item-${(n * 7 + w * 13) % CATALOG_KEYS}` })
        status = response.statusCode
        report.reads++
      }
      report.slowestMs = Math.max(report.slowestMs, performance.now() - started)
      report.requests++
      if (status < 200 || status >= 300) {
        report.errors[status] = (report.errors[status] ?? 0) + 1
        report.errorCount++
      }
      // Paced, so the load is bounded (a few thousand requests) and spans the whole failover.
      await sleep(4)
    }
  }

  const load = Promise.all(Array.from({ length: workers }, (_, w) => worker(w)))
  try {
    await sleep(steadyMs)
    const killedAt = Date.now()
    await scenario.kill()
    const probeStore = scenario.makeStore()
    try {
      const deadline = killedAt + 45_000
      while (report.recoveryMs < 0 || report.engineRecoveryMs < 0) {
        if (Date.now() > deadline) throw new Error(`no recovery within 45 s (store ${report.recoveryMs} ms, engine ${report.engineRecoveryMs} ms)`)
        if (report.recoveryMs < 0 && (await scenario.probe(probeStore))) report.recoveryMs = Date.now() - killedAt
        if (report.engineRecoveryMs < 0 && (await engineRecovered(serving, scenario))) report.engineRecoveryMs = Date.now() - killedAt
        await sleep(50)
      }
    } finally {
      await probeStore.disconnect()
    }
    recovered = true
    await sleep(steadyMs)
  } finally {
    stop = true
    await load
  }
  report.acknowledgedWrites = acked.size

  // Every acknowledged write: at the origin, and answered by a fresh gateway (its reads go to L2, then the origin)
  // as well as by the one that served the load.
  const verifying = await startInstance(prefix, scenario.makeStore(), origin)
  try {
    for (const [key, value] of acked) {
      if (JSON.stringify(origin.data.get(`/orders/${key}`)) !== JSON.stringify(value)) report.lostAtOrigin.push(key)
      const fresh = await verifying.gateway.app.inject({ method: 'GET', url: `/v1/namespaces/orders/keys/${key}` })
      if (fresh.statusCode !== 200 || fresh.body !== JSON.stringify(value)) report.staleThroughCache.push(key)
      const served = await app.inject({ method: 'GET', url: `/v1/namespaces/orders/keys/${key}` })
      if (served.statusCode !== 200 || served.body !== JSON.stringify(value)) report.staleThroughServingGateway.push(key)
    }
  } finally {
    await verifying.cache.namespace('orders').clear().catch(() => undefined)
    await verifying.cache.namespace('catalog').clear().catch(() => undefined)
    await verifying.close()
    await serving.close()
    await origin.stop()
  }
  return report
}

/** The serving cache's circuit is closed, and its own store client (the one the engine uses) works on the keyspace. */
async function engineRecovered(instance: Instance, scenario: FailoverScenario): Promise<boolean> {
  const health = await instance.cache.health()
  if (health.l2?.circuit !== 'closed' || !health.l2.reachable) return false
  return scenario.probe(instance.store)
}

export function describeReport(label: string, report: FailoverReport): string {
  return (
    `[failover ${label}] ${report.requests} requests (${report.reads} reads, ${report.writes} writes), ` +
    `errors ${report.errorCount} ${JSON.stringify(report.errors)}, recovery ${report.recoveryMs} ms (store) / ${report.engineRecoveryMs} ms (engine), ` +
    `slowest answer ${Math.round(report.slowestMs)} ms, ${report.acknowledgedWrites} acknowledged write-through keys: ` +
    `${report.lostAtOrigin.length} lost at origin, ${report.staleThroughCache.length} stale through a fresh gateway, ` +
    `${report.staleThroughServingGateway.length} stale through the serving gateway`
  )
}
