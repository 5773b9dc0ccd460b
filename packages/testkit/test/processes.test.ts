// The throwaway servers tests kill: each starts on its own port, dies by its own PID, and leaves the shared ones alone.
import { afterAll, describe, expect, it } from 'vitest'
import { MemcachedProcess, RedisClusterProcess, requireTcp } from '../src/index.js'

describe('MemcachedProcess', () => {
  const server = new MemcachedProcess(19625)
  afterAll(async () => server.dispose())

  it('starts on its port, dies by SIGKILL of its own PID, and starts again', async () => {
    await server.start()
    await requireTcp('throwaway memcached', { host: '127.0.0.1', port: 19625 })
    const pid = server.pid
    expect(pid).toBeGreaterThan(0)
    await server.kill()
    expect(server.pid).toBeUndefined()
    await expect(requireTcp('throwaway memcached', { host: '127.0.0.1', port: 19625 })).rejects.toThrow()
    await server.start()
    expect(server.pid).not.toBe(pid)
  })
})

describe('RedisClusterProcess', () => {
  const cluster = new RedisClusterProcess(19660)
  afterAll(async () => cluster.dispose())

  it('builds 3 primaries with a synced replica each, and promotes a replica when a primary is killed', async () => {
    await cluster.start()
    const before = await cluster.topology()
    expect(before.filter((node) => node.role === 'primary')).toHaveLength(3)
    expect(before.filter((node) => node.role === 'replica')).toHaveLength(3)
    const killed = await cluster.killPrimaryOf(0)
    expect(cluster.pidOf(killed)).toBeUndefined()
    await cluster.waitHealthy(30_000)
    expect(await cluster.primaryForSlot(0)).not.toBe(killed)
  }, 60_000)
})
