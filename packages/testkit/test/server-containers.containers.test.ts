// Container mode itself (STRATA_SERVERS=containers, `pnpm test:containers`): the require* helpers answer with servers
// in containers this process started, labelled for the run, configured as `pnpm infra:up` configures its own, and
// gone once stopped. Kafka is proven by the transport contract suite that runs in the same mode.
import { Redis } from 'ioredis'
import pg from 'pg'
import { GenericContainer, getContainerRuntimeClient } from 'testcontainers'
import { afterAll, describe, expect, it } from 'vitest'
import {
  requireMemcached,
  requirePostgres,
  requireQueueRedis,
  requireRedis,
  servers,
  stopServerContainers,
  uniqueName,
  urlHostPort,
} from '../src/index.js'
import { RUN_LABEL, removeRunContainers } from '../src/containers/container-run.js'

afterAll(stopServerContainers)

/** The running container that publishes this host port, with its labels and image. */
async function containerOn(port: number): Promise<{ id: string; image: string; labels: Record<string, string> }> {
  const client = await getContainerRuntimeClient()
  const running = await client.container.dockerode.listContainers({ filters: { label: ['strata.testkit.run'] } })
  const found = running.find((info) => info.Ports.some((published) => published.PublicPort === port))
  if (found === undefined) throw new Error(`no labelled container publishes port ${port}`)
  return { id: found.Id, image: found.Image, labels: found.Labels }
}

describe('testkit servers in containers', () => {
  it('answers requireRedis with a Redis in a container of this run, started once per process', async () => {
    const url = await requireRedis()
    expect(url).not.toBe(servers.redisUrl)
    expect(await requireRedis()).toBe(url)
    const container = await containerOn(urlHostPort(url, 6379).port)
    expect(container.labels['strata.testkit.server']).toBe('redis')
    expect(container.labels['strata.testkit.pid']).toBe(String(process.pid))
    expect(container.labels['strata.testkit.run']).toBe(process.env.STRATA_CONTAINERS_RUN)
    expect(container.image).toBe(process.env.STRATA_REDIS_IMAGE ?? 'redis:7.2')

    const redis = new Redis(url, { lazyConnect: true })
    try {
      const key = uniqueName('testkit:containers')
      await redis.set(key, 'in a container', 'EX', 60)
      expect(await redis.get(key)).toBe('in a container')
    } finally {
      await redis.quit()
    }
  })

  it('gives BullMQ an append-only, never-evicting Redis of its own', async () => {
    const url = await requireQueueRedis()
    expect(url).not.toBe(servers.queueRedisUrl)
    expect(url).not.toBe(await requireRedis())
    const redis = new Redis(url, { lazyConnect: true })
    try {
      expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes'])
      expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction'])
    } finally {
      await redis.quit()
    }
  })

  // The memcached contract suite, in the same run, stores a 1 MiB value: it proves these run with -I 2m.
  it('answers requireMemcached with two Memcached containers of this run', async () => {
    const list = await requireMemcached()
    expect(list).toHaveLength(2)
    expect(list).not.toEqual(servers.memcachedServers)
    const names = await Promise.all(list.map(async (server) => (await containerOn(Number(server.split(':')[1]))).labels['strata.testkit.server']))
    expect(names.sort()).toEqual(['memcached-1', 'memcached-2'])
  })

  it('answers requirePostgres with PostgreSQL whose database strata decodes changes logically', async () => {
    const url = await requirePostgres()
    expect(url).not.toBe(servers.postgresUrl)
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      const { rows } = await client.query<{ wal_level: string; db: string }>('SELECT current_setting($1) AS wal_level, current_database() AS db', ['wal_level'])
      expect(rows).toEqual([{ wal_level: 'logical', db: 'strata' }])
    } finally {
      await client.end()
    }
  }, 90_000)

  it('checks an address it is given, not a container', async () => {
    await expect(requireRedis('redis://127.0.0.1:1')).rejects.toThrow(/Redis \(STRATA_REDIS_URL\).*127\.0\.0\.1:1/)
  })

  it('removes its containers when stopped, and starts a new one when asked again', async () => {
    const before = await containerOn(urlHostPort(await requireRedis(), 6379).port)
    await stopServerContainers()
    const client = await getContainerRuntimeClient()
    await expect(client.container.getById(before.id).inspect()).rejects.toThrow(/no such container/i)
    const after = await containerOn(urlHostPort(await requireRedis(), 6379).port)
    expect(after.id).not.toBe(before.id)
  })

  it('names the image variable when the image cannot be had', async () => {
    await stopServerContainers()
    const configured = process.env.STRATA_REDIS_IMAGE
    process.env.STRATA_REDIS_IMAGE = `strata-local/${uniqueName('no-such-image')}:none`
    try {
      await expect(requireRedis()).rejects.toThrow(/Redis container from image "strata-local\/no-such-image.*comes from STRATA_REDIS_IMAGE/)
    } finally {
      if (configured === undefined) delete process.env.STRATA_REDIS_IMAGE
      else process.env.STRATA_REDIS_IMAGE = configured
    }
  })

  it('removes what a killed process left: every container of a run, by its label', async () => {
    // A run of its own, so that the sweep cannot touch the containers of the files running beside this one.
    const run = uniqueName('sweep')
    const left = await new GenericContainer(process.env.STRATA_REDIS_IMAGE ?? 'redis:7.2')
      .withLabels({ [RUN_LABEL]: run })
      .withExposedPorts(6379)
      .start()
    expect(await removeRunContainers(run)).toEqual([left.getId()])
    const client = await getContainerRuntimeClient()
    await expect(client.container.getById(left.getId()).inspect()).rejects.toThrow(/no such container/i)
    expect(await removeRunContainers(run)).toEqual([])
  })
})
