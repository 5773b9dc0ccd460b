import { fork } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisDriver } from 'bentocache/drivers/redis'
import { createCache as createCacheManager } from 'cache-manager'
import { Redis } from 'ioredis'
import { Keyv } from 'keyv'
import { createCache } from '@strata/core'
import { redisStore } from '@strata/core/redis'
import { printReport } from './lib/report.js'

// `pnpm bench stampede`: how many times the loader runs when many callers miss one cold key at once.
// In one process (1000 concurrent getOrSet) against bentocache and cache-manager, and across 4 processes × 250
// sharing Redis, where Strata's lease must keep it to one load for the whole fleet. Lower is better.
const redisUrl = process.env.STRATA_REDIS_URL ?? 'redis://127.0.0.1:6379'
const LOAD_MS = 100
const slowValue = async () => {
  await new Promise((resolve) => setTimeout(resolve, LOAD_MS))
  return { loaded: true }
}

if (process.argv[2] === '--worker') {
  await runWorker(process.argv[3]!, Number(process.argv[4]), process.argv[5] as Contender)
} else {
  await runParent()
}

type Contender = 'strata' | 'bentocache'

/** One process of the fleet: `concurrency` callers miss the same cold key at once, sharing Redis with the others. */
async function runWorker(prefix: string, concurrency: number, contender: Contender): Promise<void> {
  const counter = new Redis(redisUrl)
  const loader = async () => {
    await counter.incr(`${prefix}:loads`)
    return slowValue()
  }
  let getOrSet: () => Promise<unknown>
  let close: () => Promise<unknown>
  if (contender === 'strata') {
    const cache = createCache({ prefix, l2: redisStore({ url: redisUrl }), policy: { stampede: 'fleet' } })
    getOrSet = () => cache.getOrSet('cold', loader)
    close = () => cache.close()
  } else {
    const bento = new BentoCache({
      default: 'tiered',
      prefix,
      stores: { tiered: bentostore().useL1Layer(memoryDriver({ maxItems: 1000 })).useL2Layer(redisDriver({ connection: new Redis(redisUrl) })) },
    })
    getOrSet = () => bento.getOrSet({ key: 'cold', factory: loader })
    close = () => bento.disconnectAll()
  }
  process.send!('ready')
  await new Promise((resolve) => process.once('message', resolve))
  await Promise.all(Array.from({ length: concurrency }, getOrSet))
  await close()
  counter.disconnect()
  process.send!('done')
}

async function oneProcess(): Promise<{ strata: number; bentocache: number; 'cache-manager': number }> {
  const calls = { strata: 0, bentocache: 0, 'cache-manager': 0 }
  const strata = createCache()
  const bento = new BentoCache({ default: 'memory', stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 1000 })) } })
  const manager = createCacheManager({ stores: [new Keyv()] })
  await Promise.all(Array.from({ length: 1000 }, () => strata.getOrSet('cold', () => (calls.strata++, slowValue()))))
  await Promise.all(Array.from({ length: 1000 }, () => bento.getOrSet({ key: 'cold', factory: () => (calls.bentocache++, slowValue()) })))
  await Promise.all(Array.from({ length: 1000 }, () => manager.wrap('cold', () => (calls['cache-manager']++, slowValue()))))
  await strata.close()
  await bento.disconnectAll()
  return calls
}

async function fleet(processes: number, concurrency: number, contender: Contender): Promise<number> {
  const prefix = `bench-stampede-${randomUUID().slice(0, 8)}`
  const self = fileURLToPath(import.meta.url)
  const children = Array.from({ length: processes }, () =>
    fork(self, ['--worker', prefix, String(concurrency), contender], { execArgv: ['--import', 'tsx'], stdio: 'inherit' }),
  )
  const waitFor = (message: string) =>
    Promise.all(children.map((child) => new Promise<void>((resolve) => child.on('message', (m) => m === message && resolve()))))
  await waitFor('ready')
  const done = waitFor('done')
  for (const child of children) child.send('go')
  await done
  const redis = new Redis(redisUrl)
  const loads = Number(await redis.get(`${prefix}:loads`))
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(...keys)
  redis.disconnect()
  return loads
}

async function runParent(): Promise<void> {
  const single = await oneProcess()
  const fleetLoads = await fleet(4, 250, 'strata')
  const bentoFleetLoads = await fleet(4, 250, 'bentocache')
  printReport({
    bench: 'stampede',
    metric: 'loader calls for concurrent misses on one cold key',
    unit: 'calls',
    higherIsBetter: false,
    results: {
      strata: single.strata,
      'strata-fleet': fleetLoads,
      bentocache: single.bentocache,
      'bentocache-fleet': bentoFleetLoads,
      'cache-manager': single['cache-manager'],
    },
    ratios: { 'strata-fleet/bentocache-fleet': bentoFleetLoads === 0 ? 0 : fleetLoads / bentoFleetLoads },
    table: [
      { scenario: '1 process × 1000 concurrent', ...single },
      { scenario: '4 processes × 250 concurrent, shared Redis L2', strata: fleetLoads, bentocache: bentoFleetLoads },
    ],
    env: { loaderMs: LOAD_MS },
  })
}
