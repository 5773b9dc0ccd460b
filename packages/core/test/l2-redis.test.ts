import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { Cluster, Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireTcp, servers } from '@strata/testkit'
import { isStrataError } from '../src/errors/index.js'
import { RedisStore, hashSlot, leaseKeyOf, redisStore } from '@strata/core/redis'

/** Loopback ports nothing listens on (the port plan leaves them free). */
const UNUSED_PORT = 6399
const THROWAWAY_PORT = 6398

const AWKWARD_KEYS = [
  'plain',
  '{tag}rest',
  'rest{tag}',
  'a}b',
  '}{',
  '{}',
  '{',
  '}',
  '{}{x}',
  'a{}b{c}',
  '{}}',
  'x{}y}z',
  '{{a}}',
  'ünï{cödé}🔑',
  'with space',
]

async function expectUnavailable(promise: Promise<unknown>): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isStrataError(error, 'E_L2_UNAVAILABLE'), `expected E_L2_UNAVAILABLE, got ${String(error)}`).toBe(true)
}

describe('RedisStore: unreachable server', () => {
  it('fails every operation with E_L2_UNAVAILABLE, quickly, and keeps failing fast', async () => {
    const store = redisStore({ url: `redis://127.0.0.1:${UNUSED_PORT}` })
    try {
      const started = Date.now()
      await expectUnavailable(store.get('k'))
      expect(Date.now() - started).toBeLessThan(1500)
      const again = Date.now()
      await expectUnavailable(store.getMany(['a', 'b']))
      await expectUnavailable(store.set('k', Buffer.from('v'), 1000))
      await expectUnavailable(store.acquireLease('k', 't', 1000))
      await expectUnavailable(store.ping())
      await expectUnavailable(store.clear('p:'))
      expect(Date.now() - again).toBeLessThan(1500)
    } finally {
      await store.disconnect()
    }
  })

  it('fails with E_L2_UNAVAILABLE for an unreachable Cluster too', async () => {
    const store = redisStore({ clusterNodes: [{ host: '127.0.0.1', port: UNUSED_PORT }] })
    try {
      const started = Date.now()
      await expectUnavailable(store.get('k'))
      await expectUnavailable(store.getMany(['a', 'b']))
      expect(Date.now() - started).toBeLessThan(3000)
    } finally {
      await store.disconnect()
    }
  })
})

describe('RedisStore: a server that dies and comes back', () => {
  let server: ChildProcess | undefined

  async function startServer(): Promise<void> {
    server = spawn('redis-server', ['--port', String(THROWAWAY_PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    })
    const deadline = Date.now() + 5000
    for (;;) {
      try {
        await requireTcp('throwaway redis-server', { host: '127.0.0.1', port: THROWAWAY_PORT }, 200)
        return
      } catch (error) {
        if (Date.now() > deadline) throw error
        await sleep(50)
      }
    }
  }

  async function stopServer(): Promise<void> {
    if (server === undefined || server.exitCode !== null) return
    const exited = once(server, 'exit')
    server.kill('SIGKILL')
    await exited
    server = undefined
  }

  afterAll(stopServer)

  it('reports E_L2_UNAVAILABLE at once while it is down and recovers by itself when it returns', async () => {
    await startServer()
    const store = redisStore({ url: `redis://127.0.0.1:${THROWAWAY_PORT}` })
    try {
      await store.set('k', Buffer.from('before'), 60_000)
      expect(Buffer.from((await store.get('k'))!).toString()).toBe('before')

      await stopServer()
      await sleep(100)
      const started = Date.now()
      await expectUnavailable(store.get('k'))
      await expectUnavailable(store.set('k', Buffer.from('during'), 60_000))
      await expectUnavailable(store.ping())
      expect(Date.now() - started).toBeLessThan(1000)

      await startServer()
      const deadline = Date.now() + 10_000
      for (;;) {
        try {
          await store.ping()
          break
        } catch (error) {
          if (Date.now() > deadline) throw error
          await sleep(100)
        }
      }
      // A fresh server: the value written before is gone, and the store works again.
      expect(await store.get('k')).toBeUndefined()
      await store.set('k', Buffer.from('after'), 60_000)
      expect(Buffer.from((await store.get('k'))!).toString()).toBe('after')
    } finally {
      await store.disconnect()
    }
  })
})

describe('RedisStore on the real servers', () => {
  let raw: Redis
  let store: RedisStore
  const prefix = `strata-test:redis:${randomUUID().slice(0, 8)}:`

  beforeAll(async () => {
    const url = new URL(servers.redisUrl)
    await requireTcp('Redis', { host: url.hostname, port: Number(url.port || 6379) })
    raw = new Redis(servers.redisUrl)
    store = new RedisStore(raw)
  })

  afterAll(async () => {
    await store.clear(prefix)
    await store.disconnect()
    // The store leaves a client it was given open; closing it is the owner's job.
    expect(raw.status).toBe('ready')
    await raw.quit()
  })

  it('stores a value under the key itself, readable by a plain GET', async () => {
    await store.set(`${prefix}plain`, Buffer.from([0, 1, 2, 255]), 60_000)
    expect(await raw.getBuffer(`${prefix}plain`)).toEqual(Buffer.from([0, 1, 2, 255]))
    expect(await raw.pttl(`${prefix}plain`)).toBeGreaterThan(59_000)
  })

  it('keeps the lease beside the value and removes both in one delete', async () => {
    const key = `${prefix}leased`
    await store.set(key, Buffer.from('v'), 60_000)
    expect(await store.acquireLease(key, 'token-1', 60_000)).toBe(true)
    expect(await raw.get(leaseKeyOf(key))).toBe('token-1')
    await store.delete(key)
    expect(await raw.exists(key, leaseKeyOf(key))).toBe(0)
  })

  it('passes errors that are not about connectivity through untouched', async () => {
    await raw.lpush(`${prefix}a-list`, 'x')
    const error: unknown = await store.get(`${prefix}a-list`).catch((e: unknown) => e)
    expect(isStrataError(error)).toBe(false)
    expect(String(error)).toMatch(/WRONGTYPE/)
  })

  it('refuses a client with keyPrefix', () => {
    const prefixed = new Redis(servers.redisUrl, { keyPrefix: 'app:', lazyConnect: true })
    expect(() => new RedisStore(prefixed)).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }) as Error)
    prefixed.disconnect()
  })
})

describe('Redis Cluster key placement', () => {
  let cluster: Cluster

  beforeAll(async () => {
    await requireTcp('Redis Cluster', servers.redisClusterNodes[0]!)
    cluster = new Cluster(servers.redisClusterNodes)
  })

  afterAll(async () => {
    await cluster.quit()
  })

  it('computes the same slot as CLUSTER KEYSLOT, including keys ioredis itself gets wrong', async () => {
    for (const key of AWKWARD_KEYS) {
      expect(hashSlot(key), key).toBe(await cluster.cluster('KEYSLOT', key))
    }
  })

  it('puts every lease in its value slot, whatever braces the key holds', async () => {
    for (const key of [...AWKWARD_KEYS, ...Array.from({ length: 200 }, () => randomUUID())]) {
      const valueSlot = await cluster.cluster('KEYSLOT', key)
      expect(await cluster.cluster('KEYSLOT', leaseKeyOf(key)), key).toBe(valueSlot)
    }
  })
})
