import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { readdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { setTimeout as sleep } from 'node:timers/promises'
import Memcached from 'memcached'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { hostPorts, requireTcp, servers } from '@strata/testkit'
import { MemcachedStore, memcachedKeyOf, memcachedStore } from '@strata/core/memcached'
import { isStrataError } from '../src/errors/index.js'
import { KetamaRing } from '../src/stores/memcached/ketama-ring.js'
import { matchesPrefix, escapedPrefixOf } from '../src/stores/memcached/memcached-keys.js'

/** Loopback ports outside the port plan: one never listens, one hosts a memcached this file starts and kills. */
const UNUSED = '127.0.0.1:11298'
const THROWAWAY_PORT = 11299
const THROWAWAY = `127.0.0.1:${THROWAWAY_PORT}`

const HashRing = createRequire(import.meta.url)('hashring') as new (
  servers: string[],
  algorithm: string,
  options: Record<string, unknown>,
) => { get(key: string): string }

async function waitFor(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`)
    await sleep(50)
  }
}

describe('memcached key mapping', () => {
  it('maps any key to at most 250 printable, space-free characters, deterministically and injectively', () => {
    const keys = [
      'plain:key',
      'with space',
      'tab\tnew\nline\r',
      'ünïcödé 🔑',
      '%41',
      'A',
      '$&',
      "$'",
      'x'.repeat(250),
      'x'.repeat(251),
      `${'y'.repeat(300)}-1`,
      `${'y'.repeat(300)}-2`,
      ...Array.from({ length: 500 }, () => randomUUID() + String.fromCharCode(Math.floor(Math.random() * 0x3000))),
    ]
    const mapped = keys.map(memcachedKeyOf)
    for (const m of mapped) {
      expect(m.length).toBeLessThanOrEqual(250)
      expect(m).toMatch(/^[\x21-\x7e]+$/)
      expect(m).not.toContain('$')
    }
    expect(new Set(mapped).size).toBe(keys.length)
    expect(keys.map(memcachedKeyOf)).toEqual(mapped)
    expect(memcachedKeyOf('plain:key')).toBe('plain:key')
    expect(memcachedKeyOf('%41')).not.toBe(memcachedKeyOf('A'))
  })

  it('keeps prefixes comparable after escaping and hashing', () => {
    const long = `ns:users:${'ü'.repeat(200)}`
    expect(matchesPrefix(memcachedKeyOf(long), escapedPrefixOf('ns:users:'))).toBe(true)
    expect(matchesPrefix(memcachedKeyOf(long), escapedPrefixOf('ns:user:'))).toBe(false)
    expect(matchesPrefix(memcachedKeyOf('ns:a b'), escapedPrefixOf('ns:a '))).toBe(true)
    expect(matchesPrefix(memcachedKeyOf('ns:ab'), escapedPrefixOf('ns:a '))).toBe(false)
  })
})

describe('ketama placement', () => {
  it('places every key on the same server as the hashring package the memcached client uses', () => {
    for (const pool of [
      ['127.0.0.1:11211', '127.0.0.1:11212'],
      ['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211'],
      ['cache-a:11300', 'cache-b:11301', 'cache-c:11211', 'cache-d:11302', 'cache-e:11303'],
    ]) {
      const theirs = new HashRing(pool, 'md5', { compatibility: 'ketama', 'default port': 11211 })
      const ours = new KetamaRing(pool.map((address) => ({ address, node: address })))
      const placed = new Map<string, number>()
      for (let i = 0; i < 3000; i++) {
        const key = `key:${i}:${randomUUID()}`
        expect(ours.nodeFor(key), key).toBe(theirs.get(key))
        placed.set(ours.nodeFor(key), (placed.get(ours.nodeFor(key)) ?? 0) + 1)
      }
      expect(placed.size).toBe(pool.length)
    }
  })
})

describe('MemcachedStore: whole pool unreachable', () => {
  it('fails with E_L2_UNAVAILABLE, quickly', async () => {
    const store = memcachedStore({ servers: [UNUSED], connectTimeoutMs: 300 })
    try {
      const started = Date.now()
      for (const call of [store.get('k'), store.getMany(['a', 'b']), store.set('k', Buffer.from('v'), 1000), store.ping()]) {
        const error: unknown = await call.catch((e: unknown) => e)
        expect(isStrataError(error, 'E_L2_UNAVAILABLE'), String(error)).toBe(true)
      }
      expect(Date.now() - started).toBeLessThan(1500)
    } finally {
      await store.disconnect()
    }
  })
})

describe('MemcachedStore on the shared servers', () => {
  let store: MemcachedStore
  const prefix = `strata-test:memcached:${randomUUID().slice(0, 8)}:`

  beforeAll(async () => {
    for (const target of hostPorts(servers.memcachedServers.join(','))) await requireTcp('Memcached', target)
    store = memcachedStore({ servers: servers.memcachedServers })
    await store.ping()
  })

  afterAll(async () => {
    await store.clear(prefix)
    await store.disconnect()
  })

  it('rejects a value larger than the server item limit with E_VALUE_TOO_LARGE, and keeps the server in service', async () => {
    const key = `${prefix}too-large`
    const server = store.health().find((s) => s.address === store.serverOf(key))!
    const error: unknown = await store.set(key, Buffer.alloc(server.itemSizeMax + 1), 60_000).catch((e: unknown) => e)
    expect(isStrataError(error, 'E_VALUE_TOO_LARGE'), String(error)).toBe(true)
    expect(store.health().every((s) => s.state === 'up')).toBe(true)
    await store.set(key, Buffer.from('fits'), 60_000)
    expect(Buffer.from((await store.get(key))!).toString()).toBe('fits')
  })

  it('keeps a value under the key "cas" through a lease (the client names a gets field so)', async () => {
    expect(memcachedKeyOf('cas')).not.toBe('cas')
    const probe = new MemcachedStore({ servers: [store.serverOf('cas')] })
    try {
      await probe.set('cas', Buffer.from('kept'), 60_000)
      expect(await probe.acquireLease('cas', 't', 60_000)).toBe(true)
      expect(Buffer.from((await probe.get('cas'))!).toString()).toBe('kept')
      await probe.delete('cas')
    } finally {
      await probe.disconnect()
    }
  })

  it('reads bytes it did not write (foreign or corrupt) as a miss', async () => {
    const key = `${prefix}foreign`
    const raw = new Memcached(store.serverOf(key))
    try {
      await new Promise((resolve, reject) => raw.set(memcachedKeyOf(key), Buffer.from('not a strata item'), 60, (e) => (e ? reject(e as Error) : resolve(undefined))))
      expect(await store.get(key)).toBeUndefined()
      expect(await store.getMany([key])).toEqual([undefined])
      // And a lease can still be taken over it.
      expect(await store.acquireLease(key, 't', 60_000)).toBe(true)
    } finally {
      raw.end()
    }
  })
})

describe('MemcachedStore: a server of the pool dies and comes back', () => {
  let server: ChildProcess | undefined
  let store: MemcachedStore
  const prefix = `strata-test:memcached-failover:${randomUUID().slice(0, 8)}:`
  const keys = Array.from({ length: 200 }, (_, i) => `${prefix}${i}`)
  let shared: string

  async function start(): Promise<void> {
    server = spawn('memcached', ['-u', 'root', '-l', '127.0.0.1', '-p', String(THROWAWAY_PORT), '-m', '16', '-I', '2m'], { stdio: 'ignore' })
    await waitFor('throwaway memcached to listen', 5000, () =>
      requireTcp('throwaway memcached', { host: '127.0.0.1', port: THROWAWAY_PORT }, 200).then(
        () => true,
        () => false,
      ),
    )
    // Another process on the port would answer for a memcached that failed to bind and exited.
    if (server.exitCode !== null) throw new Error(`throwaway memcached exited with ${server.exitCode}: is port ${THROWAWAY_PORT} taken?`)
  }

  /** SIGSTOP is asynchronous: a thread of the target can still answer a request until the kernel has stopped it. */
  async function pause(): Promise<void> {
    const pid = server!.pid!
    server!.kill('SIGSTOP')
    const stopped = async (): Promise<boolean> => {
      const threads = await readdir(`/proc/${pid}/task`)
      const states = await Promise.all(threads.map((tid) => readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8')))
      return states.every((stat) => / T /.test(stat.slice(stat.lastIndexOf(')'))))
    }
    await waitFor('every thread of the throwaway memcached to be stopped', 2000, stopped)
  }

  async function kill(): Promise<void> {
    if (server === undefined || server.exitCode !== null || server.signalCode !== null) return
    const exited = once(server, 'exit')
    server.kill('SIGKILL')
    await exited
  }

  beforeAll(async () => {
    shared = servers.memcachedServers[0]!
    await requireTcp('Memcached', hostPorts(shared)[0]!)
  })

  afterEach(async () => {
    if (server !== undefined && server.signalCode === null && server.exitCode === null) server.kill('SIGCONT')
    await store?.disconnect()
    await kill()
  })

  const onThrowaway = (key: string): boolean => store.serverOf(key) === THROWAWAY

  it('keeps serving the other server, misses the dead one without errors, and brings it back', async () => {
    await start()
    const changes: string[] = []
    store = memcachedStore({
      servers: [shared, THROWAWAY],
      timeoutMs: 300,
      connectTimeoutMs: 300,
      probeIntervalMs: 100,
      onServerStateChange: (address, state) => changes.push(`${address} ${state}`),
    })
    await store.setMany(keys.map((key, i) => ({ key, value: Buffer.from(`v${i}`), ttlMs: 60_000 })))
    const dead = keys.filter(onThrowaway)
    const alive = keys.filter((key) => !onThrowaway(key))
    expect(dead.length).toBeGreaterThan(20)
    expect(alive.length).toBeGreaterThan(20)

    await kill()
    const started = Date.now()
    const values = await store.getMany(keys)
    keys.forEach((key, i) => expect(values[i] === undefined ? undefined : Buffer.from(values[i]).toString(), key).toBe(onThrowaway(key) ? undefined : `v${i}`))
    expect(await store.get(dead[0]!)).toBeUndefined()
    expect(Buffer.from((await store.get(alive[0]!))!).toString()).toMatch(/^v\d+$/)
    await store.set(dead[1]!, Buffer.from('dropped'), 60_000)
    await store.delete(dead[2]!)
    // Nobody can hold a lease on a server that is out: the caller fills alone, and nothing is written.
    expect(await store.acquireLease(dead[3]!, 't', 60_000)).toBe(true)
    expect(await store.setWithLease(dead[3]!, 't', Buffer.from('x'), 60_000)).toBe(false)
    await store.ping()
    expect(Date.now() - started).toBeLessThan(2000)
    expect(store.health().find((s) => s.address === THROWAWAY)?.state).toBe('down')

    await start()
    await waitFor('the revived server to rejoin', 5000, () => store.health().every((s) => s.state === 'up'))
    await store.set(dead[0]!, Buffer.from('back'), 60_000)
    expect(Buffer.from((await store.get(dead[0]!))!).toString()).toBe('back')
    expect(changes).toEqual(expect.arrayContaining([`${THROWAWAY} down`, `${THROWAWAY} up`]))
  })

  it('flushes a server that was out before it rejoins, so deletes it missed cannot resurrect values', async () => {
    await start()
    store = memcachedStore({ servers: [shared, THROWAWAY], timeoutMs: 300, connectTimeoutMs: 300, probeIntervalMs: 100 })
    const dead = keys.filter(onThrowaway).slice(0, 5)
    await store.setMany(dead.map((key) => ({ key, value: Buffer.from('before the pause'), ttlMs: 60_000 })))

    // A paused server accepts connections but never answers: only timeouts tell.
    await pause()
    expect(await store.getMany(dead)).toEqual(dead.map(() => undefined))
    await Promise.all(dead.slice(0, 3).map((key) => store.get(key)))
    await waitFor('the paused server to be taken out', 3000, () => store.health().find((s) => s.address === THROWAWAY)?.state === 'down')
    await store.delete(dead[0]!) // cannot reach the server: missed

    server!.kill('SIGCONT')
    await waitFor('the server to rejoin', 5000, () => store.health().find((s) => s.address === THROWAWAY)?.state === 'up')
    expect(await store.getMany(dead)).toEqual(dead.map(() => undefined))
  })
})
