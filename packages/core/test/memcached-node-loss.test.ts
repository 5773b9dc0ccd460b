import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { MemcachedProcess, uniqueName } from '@strata/testkit'
import { createCache, type StrataCache } from '../src/index.js'
import { isStrataError } from '../src/errors/index.js'
import { memcachedStore, type MemcachedStore } from '../src/stores/memcached/index.js'
import { KetamaRing } from '../src/stores/memcached/ketama-ring.js'

// Acceptance 3 of issue 12: one of two memcached servers is SIGKILLed under reads. Throwaway servers on this
// worktree's ports, so the kill never touches the shared 11211/11212.
const PORTS = [19630, 19631] as const
const KEYS = 400

describe('KetamaRing.nodesFor', () => {
  it('gives distinct nodes, the first being nodeFor, and never more than the ring holds', () => {
    const ring = new KetamaRing(['a:1', 'b:2', 'c:3'].map((address) => ({ address, node: address })))
    for (let i = 0; i < 500; i++) {
      const key = `k${i}`
      const two = ring.nodesFor(key, 2)
      expect(two).toHaveLength(2)
      expect(two[0]).toBe(ring.nodeFor(key))
      expect(new Set(two).size).toBe(2)
      expect(ring.nodesFor(key, 5)).toHaveLength(3)
    }
    // The second copies spread over every other server rather than piling on one.
    const seconds = new Set(Array.from({ length: 500 }, (_, i) => ring.nodesFor(`k${i}`, 2)[1]))
    expect(seconds.size).toBe(3)
  })
})

describe('losing one of two memcached servers', () => {
  let servers: MemcachedProcess[]
  let store: MemcachedStore | undefined
  let cache: StrataCache | undefined

  beforeAll(async () => {
    servers = PORTS.map((port) => new MemcachedProcess(port))
    await Promise.all(servers.map((server) => server.start()))
  })
  afterAll(async () => {
    for (const server of servers) await server.dispose()
  })
  beforeEach(async () => {
    // Each test starts with both servers up (the previous one killed one).
    await Promise.all(servers.map((server) => server.start()))
  })
  afterEach(async () => {
    await cache?.close()
    await store?.disconnect()
    cache = undefined
    store = undefined
  })

  /** Writes KEYS keys through a cache without L1 (every read goes to memcached), kills the server holding the first. */
  async function loadThenKill(replicas: number) {
    store = memcachedStore({ servers: servers.map((server) => server.address), replicas, probeIntervalMs: 200 })
    const prefix = uniqueName('mcloss')
    cache = createCache({ prefix, l1: false, l2: store })
    await cache.ready
    const keys = Array.from({ length: KEYS }, (_, i) => `hot:${i}`)
    for (const key of keys) await cache.set(key, { key })
    const victim = servers.find((server) => server.address === store!.serverOf(`${prefix}:default:k:${keys[0]!}`))
    expect(victim).toBeDefined()
    const errors: unknown[] = []
    cache.on('error', (event) => errors.push(event))
    await victim!.kill()
    return { keys, victim: victim!, errors, cache, store, prefix }
  }

  it('without replication: only the dead server’s keys miss, and no error reaches the caller', async () => {
    const { keys, victim, cache, store, prefix } = await loadThenKill(1)
    const onVictim = (key: string) => store.serverOf(`${prefix}:default:k:${key}`) === victim.address
    const lost = keys.filter(onVictim)
    expect(lost.length).toBeGreaterThan(KEYS / 5)
    expect(lost.length).toBeLessThan(KEYS)

    // One by one (get), then all at once (getMany): each key on the survivor hits, each key on the dead one misses.
    const single = await Promise.all(keys.map((key) => cache.get(key)))
    const batch = await cache.getMany(keys)
    for (const [i, key] of keys.entries()) {
      const expected = onVictim(key) ? undefined : { key }
      expect(single[i]).toEqual(expected)
      expect(batch[i]).toEqual(expected)
    }
    console.log(`[memcached node loss] replicas=1: ${lost.length}/${KEYS} keys missed after the kill, ${KEYS - lost.length} hit`)
  })

  it('with replicas: 2 nothing misses after the kill, writes and deletes go on, and the L2 circuit stays closed', async () => {
    const { keys, errors, cache } = await loadThenKill(2)
    const single = await Promise.all(keys.map((key) => cache.get(key)))
    const batch = await cache.getMany(keys)
    const misses = keys.filter((key, i) => single[i] === undefined || batch[i] === undefined)
    console.log(`[memcached node loss] replicas=2: ${misses.length}/${KEYS} keys missed after the kill`)
    expect(misses).toEqual([])
    for (const [i, key] of keys.entries()) expect(single[i]).toEqual({ key })

    // Writes and deletes made while one server is down land on the survivor and are read back from it.
    await cache.set('after', { key: 'after' })
    await cache.delete(keys[1]!)
    expect(await cache.get('after')).toEqual({ key: 'after' })
    expect(await cache.get(keys[1]!)).toBeUndefined()
    expect((await cache.health()).l2?.circuit).toBe('closed')
    expect(errors).toEqual([])
  })

  it('with replicas: 2 nothing misses when the lost server rejoins empty either: reads go past its misses', async () => {
    const { keys, victim, cache, store } = await loadThenKill(2)
    const victimHealth = () => store.health().find((server) => server.address === victim.address)?.state
    // Noticed down, then back (probed every 200 ms, and flushed as it rejoins).
    await cache.get(keys[0]!)
    await victim.start()
    for (let i = 0; i < 100 && victimHealth() !== 'up'; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(victimHealth()).toBe('up')
    const single = await Promise.all(keys.map((key) => cache.get(key)))
    const batch = await cache.getMany(keys)
    const misses = keys.filter((key, i) => single[i] === undefined || batch[i] === undefined)
    console.log(`[memcached node loss] replicas=2: ${misses.length}/${KEYS} keys missed after the lost server rejoined empty`)
    expect(misses).toEqual([])
  })

  it('with replicas: 2 and both servers gone, calls fail as E_L2_UNAVAILABLE (the engine then opens its circuit)', async () => {
    store = memcachedStore({ servers: servers.map((server) => server.address), replicas: 2 })
    await store.set('k', new Uint8Array([1]), 60_000)
    for (const server of servers) await server.kill()
    const failure = await store.get('k').catch((error: unknown) => error)
    expect(isStrataError(failure, 'E_L2_UNAVAILABLE')).toBe(true)
  })

  it('refuses replicas outside 1..servers, or with flushOnRevive off, with E_INVALID_OPTION', () => {
    for (const [replicas, flushOnRevive] of [[0, true], [3, true], [1.5, true], [2, false]] as const) {
      let failure: unknown
      try {
        memcachedStore({ servers: servers.map((server) => server.address), replicas, flushOnRevive })
      } catch (error) {
        failure = error
      }
      expect(isStrataError(failure, 'E_INVALID_OPTION')).toBe(true)
    }
  })
})
