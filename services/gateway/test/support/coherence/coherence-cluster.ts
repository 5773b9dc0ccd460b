import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { KafkaProcess, PROCESS_ADMIN_KEY, ServiceProcess, freePort, startGatewayProcess, uniqueName, waitUntil, type GatewayProcess } from '@strata/testkit'
import { KafkaTransport } from '@strata/bus/kafka'
import { History, percentile, type ChangeKind } from './history-checker.js'

const AUTH = { authorization: `Bearer ${PROCESS_ADMIN_KEY}` }
const DOMAIN_TOPIC = 'coherence.items.v1'
const RECORDS_TOPIC = 'strata.invalidations.records.v1'

/** The origin of the read-through and write-through namespaces: one number per key, optionally slow to answer. */
export class TestOrigin {
  readonly values = new Map<string, number>()
  /** Delay of each GET, ms (a slow origin makes fills race invalidations). */
  readDelay: () => number = () => 0
  private server: Server | undefined
  port = 0

  async start(): Promise<void> {
    this.server = createServer((request, response) => void this.handle(request, response))
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as { port: number }).port
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}/${path}/{key}`
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const id = decodeURIComponent(request.url ?? '/').slice(1)
    if (request.method === 'GET') {
      const delay = this.readDelay()
      // The value is read before the delay: a slow answer carries what the origin had when asked (a stale fill).
      const value = this.values.get(id)
      if (delay > 0) await sleep(delay)
      if (value === undefined) return void response.writeHead(404).end()
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ v: value }))
      return
    }
    if (request.method === 'PUT') {
      let body = ''
      for await (const chunk of request) body += String(chunk)
      const value = (JSON.parse(body) as { v: number }).v
      // Write-through writes arrive in order per key (one writer per key); keep the newest.
      if (value > (this.values.get(id) ?? 0)) this.values.set(id, value)
      return void response.writeHead(204).end()
    }
    if (request.method === 'DELETE') {
      this.values.delete(id)
      return void response.writeHead(204).end()
    }
    response.writeHead(405).end()
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve))
  }
}

export interface ClusterOptions {
  redisUrl: string
  /** The L2 settings of every gateway and the invalidator; default one Redis at `redisUrl`. */
  l2Env?: Record<string, string>
  /** `none` runs the gateways without the invalidation bus: the control that the checker catches staleness. */
  gatewayBus?: 'kafka' | 'none'
}

/**
 * Two gateway processes (the real main.ts) and the real invalidator on a throwaway broker of the cluster's own, a
 * shared Redis L2, a test origin, and the workload: writers of every kind and readers on both gateways, recording
 * every acknowledged change and every read into a History.
 */
export class CoherenceCluster {
  readonly broker: KafkaProcess
  readonly origin = new TestOrigin()
  readonly itemsNs = uniqueName('items').replace(/[^a-z0-9-]/g, '-')
  readonly wtNs = uniqueName('wt').replace(/[^a-z0-9-]/g, '-')
  gateways: (GatewayProcess | undefined)[] = []
  invalidator: ServiceProcess | undefined
  private readonly dir = mkdtempSync(join(tmpdir(), 'strata-coherence-'))
  private readonly invalidatorGroup = uniqueName('coherence.invalidator')
  private readonly transport: KafkaTransport
  /** When each domain event was produced, and when the invalidator reported it applied. */
  readonly produced = new Map<string, { key: string; value: number; at: number; history: History }>()
  readonly applied = new Map<string, number>()

  private constructor(
    readonly options: ClusterOptions,
    brokerPort: number,
    controllerPort: number,
  ) {
    this.broker = new KafkaProcess(brokerPort, controllerPort)
    this.transport = new KafkaTransport({ brokers: this.broker.brokers, clientId: 'coherence-test', publishTimeoutMs: 5_000, maxWaitTimeMs: 100, joinTimeoutMs: 90_000, log: () => undefined })
  }

  static async start(options: ClusterOptions): Promise<CoherenceCluster> {
    const cluster = new CoherenceCluster(options, await freePort(), await freePort())
    const began = Date.now()
    const step = (what: string) => console.log(`coherence cluster: ${what} after ${Date.now() - began} ms`)
    await cluster.broker.start()
    step('broker up')
    await cluster.origin.start()
    // Created up front (the broker's default of 3 partitions), so nobody races to create them.
    await cluster.transport.partitionCount(DOMAIN_TOPIC)
    await cluster.transport.partitionCount(RECORDS_TOPIC)
    step('topics created')
    await cluster.startInvalidator()
    step('invalidator ready')
    cluster.gateways = await Promise.all([cluster.startGateway(), cluster.startGateway()])
    step('gateways ready')
    await cluster.followRecords()
    step('following records')
    return cluster
  }

  private get l2Env(): Record<string, string> {
    return this.options.l2Env ?? { STRATA_L2: 'redis', STRATA_REDIS_URL: this.options.redisUrl }
  }

  get brokers(): string {
    return this.broker.brokers.join(',')
  }

  async startGateway(): Promise<GatewayProcess> {
    const gateway = await startGatewayProcess({
      ...this.l2Env,
      STRATA_GATEWAY_QUEUE: 'memory',
      STRATA_GATEWAY_BUS: this.options.gatewayBus ?? 'kafka',
      STRATA_KAFKA_BROKERS: this.brokers,
      STRATA_GATEWAY_NAMESPACES: JSON.stringify({
        [this.itemsNs]: { ttl: 600_000, origin: { url: this.origin.url(this.itemsNs), honorCacheControl: false } },
        [this.wtNs]: { ttl: 600_000, writeMode: 'write-through', origin: { url: this.origin.url(this.wtNs), honorCacheControl: false } },
      }),
    })
    // Ready means subscribed to the invalidations: wait for it as a load balancer would.
    await waitUntil(async () => (await fetch(`${gateway.url}/health/ready`).catch(() => undefined))?.status === 200, 60_000).catch(async (error: unknown) => {
      const ready = await fetch(`${gateway.url}/health/ready`).then((response) => response.text()).catch(String)
      throw new Error(`a gateway did not get ready: ${String(error)}: ${ready}`)
    })
    return gateway
  }

  async startInvalidator(): Promise<void> {
    const rules = join(this.dir, 'rules.yaml')
    writeFileSync(rules, `version: 1\nrules:\n  - name: item-updated\n    topic: ${DOMAIN_TOPIC}\n    type: item.updated\n    namespace: ${this.itemsNs}\n    keys: ['{data.key}']\n`)
    const port = await freePort()
    this.invalidator = ServiceProcess.start('invalidator', {
      LOG_LEVEL: 'warn',
      STRATA_KAFKA_BROKERS: this.brokers,
      ...this.l2Env,
      STRATA_INVALIDATOR_RULES: rules,
      STRATA_INVALIDATOR_PORT: String(port),
      STRATA_INVALIDATOR_AUTH: 'off',
      STRATA_INVALIDATOR_GROUP: this.invalidatorGroup,
      STRATA_INSTANCE_ID: uniqueName('invalidator'),
    })
    const invalidator = this.invalidator
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.status === 200, 180_000).catch((error: unknown) => {
      throw new Error(`the invalidator did not get ready: ${String(error)}\n${invalidator.output.join('').slice(-3000)}`)
    })
  }

  private async followRecords(): Promise<void> {
    await this.transport.subscribe(RECORDS_TOPIC, { group: uniqueName('coherence.records'), startFrom: 'earliest', deadLetter: false }, (message) => {
      const event = JSON.parse(message.value.toString()) as { data?: { sourceEventId?: string; at?: number } }
      const id = event.data?.sourceEventId
      if (id === undefined || this.applied.has(id)) return Promise.resolve()
      this.applied.set(id, event.data!.at!)
      const produced = this.produced.get(id)
      if (produced !== undefined) produced.history.change({ key: `${this.itemsNs}/${produced.key}`, value: produced.value, kind: 'event', ackAt: event.data!.at! })
      return Promise.resolve()
    })
  }

  async produce(id: string, key: string): Promise<void> {
    const event = { specversion: '1.0', id, type: 'item.updated', source: 'coherence-test', time: new Date().toISOString(), data: { key } }
    await this.transport.publish(DOMAIN_TOPIC, [{ key, value: JSON.stringify(event) }])
  }

  liveGateways(): { index: number; url: string }[] {
    return this.gateways.flatMap((gateway, index) => (gateway === undefined ? [] : [{ index, url: gateway.url }]))
  }

  async killGateway(index: number): Promise<void> {
    const gateway = this.gateways[index]
    this.gateways[index] = undefined
    await gateway?.kill()
  }

  async restartGateway(index: number): Promise<void> {
    this.gateways[index] = await this.startGateway()
  }

  async close(): Promise<void> {
    await this.transport.close().catch(() => undefined)
    await Promise.all(this.gateways.map((gateway) => gateway?.kill() ?? Promise.resolve()))
    await this.invalidator?.kill()
    await this.origin.close()
    this.broker.resume()
    await this.broker.dispose()
    rmSync(this.dir, { recursive: true, force: true })
  }

  /** Event → applied latencies (ms) of one workload's events produced at or after `since`. */
  eventLatencies(history: History, since = 0): number[] {
    const latencies: number[] = []
    for (const [id, produced] of this.produced) {
      const at = this.applied.get(id)
      if (at !== undefined && produced.history === history && produced.at >= since) latencies.push(at - produced.at)
    }
    return latencies
  }
}

export interface WorkloadOptions {
  /** Keys per writer kind (default 3 each). */
  keys?: Partial<Record<ChangeKind, number>>
  readers?: number
  /** Pause between two writes of one key, ms. */
  writeEveryMs?: number
}

/**
 * The workload of one scenario: writers of every kind (each key has one writer) and readers on every live gateway,
 * until `stop()`; then `settle()` waits out the bound and reads every key on every gateway (the final reads).
 */
export class Workload {
  readonly history = new History()
  private running = true
  private readonly lanes: Promise<void>[] = []
  readonly keys: { kind: ChangeKind; ns: string; key: string }[] = []
  private readonly values = new Map<string, number>()
  ifMatchWrites = 0
  readonly realConflicts = { ok: 0, refused: 0, other: [] as number[] }

  constructor(
    private readonly cluster: CoherenceCluster,
    name: string,
    private readonly options: WorkloadOptions = {},
  ) {
    const prefix = `${name}-${randomUUID().slice(0, 6)}`
    for (const kind of ['event', 'api', 'write-through', 'if-match'] as const) {
      for (let i = 0; i < (options.keys?.[kind] ?? 3); i++) {
        const ns = kind === 'event' || kind === 'api' ? cluster.itemsNs : cluster.wtNs
        this.keys.push({ kind, ns, key: `${prefix}-${kind}-${i}` })
      }
    }
  }

  async start(): Promise<void> {
    // Every key starts at 1 at the origin, and both gateways read it once (L1 and L2 filled).
    for (const { ns, key } of this.keys) {
      this.cluster.origin.values.set(`${ns}/${key}`, 1)
      this.values.set(`${ns}/${key}`, 1)
      this.history.change({ key: `${ns}/${key}`, value: 1, kind: 'api', ackAt: Date.now() })
    }
    for (const { ns, key } of this.keys) for (const gateway of this.cluster.liveGateways()) await this.read(gateway, ns, key)
    for (const entry of this.keys) this.lanes.push(this.writer(entry))
    for (let i = 0; i < (this.options.readers ?? 4); i++) this.lanes.push(this.reader())
  }

  async stop(): Promise<void> {
    this.running = false
    await Promise.all(this.lanes)
  }

  /** Waits out the bound (and for produced events to be applied), then reads every key on every live gateway. */
  async settle(boundMs: number): Promise<void> {
    await waitUntil(() => [...this.cluster.produced.entries()].every(([id, produced]) => produced.history !== this.history || this.cluster.applied.has(id)), 120_000).catch(() => undefined)
    await sleep(boundMs + 500)
    for (const gateway of this.cluster.liveGateways()) {
      for (const { ns, key } of this.keys) await this.read(gateway, ns, key, true)
    }
  }

  private async writer(entry: { kind: ChangeKind; ns: string; key: string }): Promise<void> {
    const id = `${entry.ns}/${entry.key}`
    let round = 0
    while (this.running) {
      round++
      const gateways = this.cluster.liveGateways()
      if (gateways.length === 0) {
        await sleep(100)
        continue
      }
      const next = this.values.get(id)! + 1
      try {
        if (entry.kind === 'event') await this.writeByEvent(entry, id, next)
        else if (entry.kind === 'api') await this.writeByApi(entry, id, next, gateways[round % gateways.length]!.url)
        else if (entry.kind === 'write-through') await this.writeThrough(entry, id, next, gateways[round % gateways.length]!.url)
        else await this.writeIfMatch(entry, id, next, gateways, round)
      } catch {
        // A request that failed (a gateway killed under it, the broker down for the producer) acknowledged nothing.
      }
      // Domain events are paced apart: the invalidator's own latency is measured, not its backlog on a busy machine.
      await sleep(Math.max(this.options.writeEveryMs ?? 200, entry.kind === 'event' ? 500 : 0))
    }
  }

  private async writeByEvent(entry: { key: string }, id: string, next: number): Promise<void> {
    this.cluster.origin.values.set(id, next)
    this.values.set(id, next)
    const eventId = randomUUID()
    // Known before it is sent: its record may come back before the send resolves.
    this.cluster.produced.set(eventId, { key: entry.key, value: next, at: Date.now(), history: this.history })
    try {
      await this.cluster.produce(eventId, entry.key)
    } catch (error) {
      this.cluster.produced.delete(eventId)
      throw error
    }
  }

  private async writeByApi(entry: { ns: string; key: string }, id: string, next: number, url: string): Promise<void> {
    this.cluster.origin.values.set(id, next)
    this.values.set(id, next)
    const response = await fetch(`${url}/v1/namespaces/${entry.ns}/invalidations`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ keys: [entry.key] }),
    })
    await response.arrayBuffer()
    if (response.status === 200) this.history.change({ key: id, value: next, kind: 'api', ackAt: Date.now() })
    else this.history.refused.push({ kind: 'api', key: id, status: response.status })
  }

  private async writeThrough(entry: { ns: string; key: string }, id: string, next: number, url: string): Promise<void> {
    this.values.set(id, next)
    const response = await this.put(url, entry, next)
    if (response.status === 200) this.history.change({ key: id, value: next, kind: 'write-through', ackAt: Date.now() })
    else this.history.refused.push({ kind: 'write-through', key: id, status: response.status })
  }

  /**
   * An optimistic-concurrency client with no competitor: invalidate the key through gateway A (so both gateways
   * refill it, racing), read its ETag through A, and write with If-Match through B. Any 412 is a false conflict.
   */
  private async writeIfMatch(entry: { ns: string; key: string }, id: string, next: number, gateways: { url: string }[], round: number): Promise<void> {
    const a = gateways[round % gateways.length]!.url
    const b = gateways[(round + 1) % gateways.length]!.url
    const invalidated = await fetch(`${a}/v1/namespaces/${entry.ns}/invalidations`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ keys: [entry.key] }),
    })
    await invalidated.arrayBuffer()
    await Promise.all(gateways.map(async (gateway) => (await fetch(`${gateway.url}/v1/namespaces/${entry.ns}/keys/${entry.key}`, { headers: AUTH })).arrayBuffer()))
    const read = await fetch(`${a}/v1/namespaces/${entry.ns}/keys/${entry.key}`, { headers: AUTH })
    await read.arrayBuffer()
    const etag = read.headers.get('etag')
    if (read.status !== 200 || etag === null) return
    this.values.set(id, next)
    const response = await this.put(b, entry, next, etag)
    this.ifMatchWrites++
    if (response.status === 200) this.history.change({ key: id, value: next, kind: 'if-match', ackAt: Date.now() })
    else if (response.status === 412) this.history.falsePreconditionFailures.push({ key: id, at: Date.now(), detail: `${etag}: ${await response.text().catch(() => '')}` })
    else this.history.refused.push({ kind: 'if-match', key: id, status: response.status })
  }

  /** Two writers with the same ETag on two gateways: exactly one may win (a real conflict still answers 412). */
  async realConflict(): Promise<void> {
    const gateways = this.cluster.liveGateways()
    const key = `conflict-${randomUUID().slice(0, 8)}`
    const entry = { ns: this.cluster.wtNs, key }
    const first = await this.put(gateways[0]!.url, entry, 1)
    // Without a first version there is no conflict to test: say why instead of counting two 412s for an absent ETag.
    if (first.status !== 200) throw new Error(`real conflict: the first write of ${key} answered ${first.status}: ${await first.text().catch(() => '')}`)
    const read = await fetch(`${gateways[0]!.url}/v1/namespaces/${entry.ns}/keys/${key}`, { headers: AUTH })
    await read.arrayBuffer()
    const etag = read.headers.get('etag')!
    const answers = await Promise.all(gateways.map((gateway, index) => this.put(gateway.url, entry, 10 + index, etag)))
    for (const answer of answers) {
      if (answer.status === 200) this.realConflicts.ok++
      else if (answer.status === 412) this.realConflicts.refused++
      else this.realConflicts.other.push(answer.status)
    }
  }

  private async put(url: string, entry: { ns: string; key: string }, value: number, ifMatch?: string): Promise<Response> {
    const response = await fetch(`${url}/v1/namespaces/${entry.ns}/keys/${entry.key}`, {
      method: 'PUT',
      headers: { ...AUTH, 'content-type': 'application/json', ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }) },
      body: JSON.stringify({ value: { v: value } }),
    })
    const body = await response.text()
    return new Response(body, { status: response.status, headers: response.headers })
  }

  private async reader(): Promise<void> {
    while (this.running) {
      const gateways = this.cluster.liveGateways()
      if (gateways.length === 0) {
        await sleep(50)
        continue
      }
      const gateway = gateways[Math.floor(Math.random() * gateways.length)]!
      const { ns, key } = this.keys[Math.floor(Math.random() * this.keys.length)]!
      await this.read(gateway, ns, key)
      await sleep(5)
    }
  }

  private async read(gateway: { index: number; url: string }, ns: string, key: string, final = false): Promise<void> {
    const startedAt = Date.now()
    let value: number | undefined
    try {
      const response = await fetch(`${gateway.url}/v1/namespaces/${ns}/keys/${key}`, { headers: AUTH, signal: AbortSignal.timeout(10_000) })
      const body = (await response.json().catch(() => undefined)) as { v?: number } | undefined
      value = response.status === 200 ? body?.v : undefined
    } catch {
      value = undefined
    }
    this.history.read({ gateway: gateway.index, key: `${ns}/${key}`, value, startedAt, ...(final ? { final: true } : {}) })
  }
}

export { percentile }
