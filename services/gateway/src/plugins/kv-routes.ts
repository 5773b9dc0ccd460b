import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import { StrataError, type EntryMeta, type WriteCondition } from '@strata/core'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { cacheStatus } from '../http/cache-status.js'
import { NamespaceParam, TagList, problems } from '../http/schemas.js'
import { ORIGIN_MISS } from '../namespaces/http-origin.js'
import type { NamespaceHandle, NamespaceRegistry } from '../namespaces/namespace-registry.js'
import { checkKey, checkWrite, telemetryKey } from '../namespaces/namespace-security.js'
import type { GatewayStats } from '../stats/gateway-stats.js'

export interface KvRoutesOptions {
  registry: NamespaceRegistry
  clock: () => number
  /** Counts each KV answer and its latency per namespace (GET /v1/stats). */
  stats?: GatewayStats
}

const KeyParams = Type.Object({ ns: NamespaceParam, key: Type.String({ minLength: 1, description: 'URL-encoded key' }) })
const EntryOptionsSchema = {
  ttl: Type.Optional(Type.Integer({ minimum: 1, description: 'milliseconds; default: the namespace ttl' })),
  tags: Type.Optional(TagList),
}
const PutBody = Type.Object(
  { value: Type.Unknown({ description: 'Any JSON value (null included)' }), ...EntryOptionsSchema },
  { additionalProperties: false, examples: [{ value: { id: 42, name: 'Ada' }, ttl: 60_000, tags: ['org:7'] }] },
)
const WriteResult = Type.Object(
  { namespace: Type.String(), key: Type.String(), etag: Type.String(), version: Type.Number(), expiresAt: Type.Number({ description: 'epoch ms' }) },
  { examples: [{ namespace: 'users', key: 'user:42', etag: '"1795503430944508"', version: 1795503430944508, expiresAt: 1795503490944 }] },
)
const BatchGetBody = Type.Object(
  { keys: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 1000 }) },
  { additionalProperties: false, examples: [{ keys: ['user:1', 'user:2'] }] },
)
const BatchGetResult = Type.Object({
  items: Type.Array(Type.Object({ key: Type.String(), found: Type.Boolean(), value: Type.Optional(Type.Unknown()) })),
})
const BatchSetBody = Type.Object(
  {
    items: Type.Array(Type.Object({ key: Type.String({ minLength: 1 }), value: Type.Unknown(), ...EntryOptionsSchema }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: 1000,
    }),
  },
  { additionalProperties: false },
)
const ConditionalHeaders = Type.Object({ 'if-match': Type.Optional(Type.String()), 'if-none-match': Type.Optional(Type.String()) })
const JSON_TYPE = 'application/json; charset=utf-8'

/**
 * The KV cache API. Values travel as JSON: PUT takes `{ value, ttl?, tags? }`, GET answers the bare value with its
 * metadata in headers (ETag from the entry version, X-Cache, Age, X-Cache-TTL). A namespace with an origin reads
 * through it on a miss; writes follow the namespace's write mode (cache-aside, write-through, write-behind).
 */
export const kvRoutes: FastifyPluginCallbackTypebox<KvRoutesOptions> = (app, { registry, clock, stats }, done) => {
  // The JSON API takes application/json only: anything else is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain')
  if (stats !== undefined) {
    // Encapsulated in this plugin: only the KV routes pay for it.
    app.addHook('onResponse', (request, reply, next) => {
      const ns = (request.params as { ns?: string }).ns
      if (ns !== undefined) stats.record(ns, reply.elapsedTime, reply.statusCode)
      next()
    })
  }
  const resolve = (name: string): NamespaceHandle | Promise<NamespaceHandle> => registry.get(name) ?? registry.resolve(name)
  // Audit records name the key, hashed for namespaces whose policy says hashKeys.
  const keyResource = (request: FastifyRequest) => {
    const { ns = '', key = '' } = request.params as { ns?: string; key?: string }
    return `namespace:${ns}/key:${telemetryKey(registry.get(ns)?.spec.security, key, registry.keyHasher)}`
  }

  app.get(
    '/v1/namespaces/:ns/keys/:key',
    {
      config: { auth: { scope: 'read', audit: false } },
      schema: {
        tags: ['kv'],
        summary: 'Read a key (read-through from the namespace origin on a miss)',
        description: 'Conditional: If-None-Match with the ETag answers 304.',
        params: KeyParams,
        // No header schema on the hot read path: validating every request header costs more than the lookup.
        response: {
          200: Type.Unknown({ description: 'The value. Headers: ETag, Cache-Status (RFC 9211), X-Cache (HIT|MISS), Age (s), X-Cache-TTL (s of freshness left)' }),
          304: Type.Null({ description: 'If-None-Match matched the ETag' }),
          ...problems(400, 404, 414, 502, 503, 504),
        },
      },
    },
    async (request, reply) => {
      const { ns, key } = request.params
      const handle = registry.get(ns) ?? (await registry.resolve(ns))
      checkKey(ns, handle.spec.security, key)
      // A key the origin URL cannot carry ('..') is the caller's mistake, answered before any load.
      handle.origin?.url(key)
      let entry: EntryHeaders | undefined
      let value: unknown
      let loaded = false
      if (handle.origin === undefined) {
        // One lookup answers the value and its metadata: this is the gateway's hot path.
        const hit = await handle.cache.getEntry(key)
        if (hit === undefined) {
          reply.header('cache-status', cacheStatus({ fwd: 'uri-miss', detail: 'no origin' }))
          throw notFound(ns, key, `it is not cached, and namespace '${ns}' has no origin to load it from`)
        }
        value = hit.value
        entry = hit
      } else {
        // The value and the entry it came from in one walk: reading the key again for its metadata would cost a
        // second L2 round trip whenever L1 keeps no copy (l1Ttl 0, a skipped or overtaken load).
        const answer = await handle.cache.getOrSetEntry(key, handle.origin.load)
        if (answer.value === ORIGIN_MISS) {
          reply.header('cache-status', cacheStatus({ fwd: 'uri-miss', fwdStatus: 404 }))
          throw notFound(ns, key, `the origin of namespace '${ns}' answered 404`)
        }
        value = answer.value
        loaded = answer.meta.source === 'loader'
        // An answer the origin forbade caching (no-store) has no cached entry to describe.
        entry = answer.meta.cached ? answer.meta : undefined
      }
      reply.header('x-cache', loaded ? 'MISS' : 'HIT')
      const ttl = entry === undefined ? undefined : (entry.expiresAt - clock()) / 1000
      reply.header('cache-status', cacheStatus(loaded ? { fwd: 'uri-miss', stored: entry !== undefined, ttl } : { hit: true, ttl }))
      if (entry === undefined) return reply.type(JSON_TYPE).send(serialize(value))
      const etag = etagOf(entry.version)
      setEntryHeaders(reply, entry, clock())
      if (ifNoneMatch(request.headers['if-none-match'], etag)) return reply.code(304).send(null)
      return reply.type(JSON_TYPE).send(serialize(value))
    },
  )

  app.put(
    '/v1/namespaces/:ns/keys/:key',
    {
      config: { auth: { scope: 'write', action: 'kv.write', resource: keyResource } },
      schema: {
        tags: ['kv'],
        summary: "Write a key (the namespace's write mode decides whether the origin is written first or later)",
        description: 'If-Match: the write happens only if the current ETag matches (412 otherwise), checked and written as one step across every gateway sharing L2; 409 E_WRITE_CONFLICT if the key stayed held past the lease. If-None-Match: * creates only.',
        params: KeyParams,
        headers: ConditionalHeaders,
        body: PutBody,
        response: { 200: WriteResult, ...problems(400, 404, 409, 412, 413, 414, 415, 502, 503) },
      },
    },
    async (request, reply) => {
      const { ns, key } = request.params
      const handle = await resolve(ns)
      const { value, ttl, tags } = request.body
      checkKey(ns, handle.spec.security, key)
      checkWrite(ns, handle.spec.security, ttl, value)
      const options = { ...(ttl === undefined ? {} : { ttl }), ...(tags === undefined ? {} : { tags }) }
      const condition = conditionOf(request.headers)
      // The entry this write made, from the write itself: no read-back, and no other writer's version by mistake.
      const { meta } = await handle.cache.setEntry(key, value, condition === undefined ? options : { ...options, condition })
      setEntryHeaders(reply, meta, clock())
      return { namespace: ns, key, etag: etagOf(meta.version), version: meta.version, expiresAt: meta.expiresAt }
    },
  )

  app.delete(
    '/v1/namespaces/:ns/keys/:key',
    {
      config: { auth: { scope: 'write', action: 'kv.delete', resource: keyResource } },
      schema: {
        tags: ['kv'],
        summary: 'Delete a key (and at the origin, for a write-through namespace)',
        params: KeyParams,
        headers: ConditionalHeaders,
        response: { 204: Type.Null(), ...problems(400, 404, 409, 412, 414, 502, 503) },
      },
    },
    async (request, reply) => {
      const { ns, key } = request.params
      const handle = await resolve(ns)
      checkKey(ns, handle.spec.security, key)
      const origin = handle.origin
      const removeAtOrigin =
        origin === undefined || handle.spec.writeMode !== 'write-through'
          ? undefined
          : async () => {
              try {
                await origin.remove(key)
              } catch (error) {
                throw new StrataError('E_WRITER_FAILED', 'The origin refused the delete; the cache is unchanged', { cause: error, context: { namespace: ns } })
              }
            }
      const condition = conditionOf(request.headers)
      if (condition !== undefined) await handle.cache.deleteIf(key, condition, removeAtOrigin)
      else {
        await removeAtOrigin?.()
        await handle.cache.delete(key)
      }
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/v1/namespaces/:ns/keys::batchGet',
    {
      config: { auth: { scope: 'read', audit: false } },
      schema: {
        tags: ['kv'],
        summary: 'Read several keys in one round trip (read-through for the misses when the namespace has an origin)',
        params: Type.Object({ ns: NamespaceParam }),
        body: BatchGetBody,
        response: { 200: BatchGetResult, ...problems(400, 404, 414, 415, 502, 503) },
      },
    },
    async (request) => {
      const handle = await resolve(request.params.ns)
      const { keys } = request.body
      for (const key of keys) checkKey(request.params.ns, handle.spec.security, key)
      const origin = handle.origin
      const values =
        origin === undefined ? await handle.cache.getMany(keys) : await handle.cache.getOrSetMany(keys, (missing) => origin.loadMany(missing))
      return { items: keys.map((key, i) => (values[i] === undefined ? { key, found: false } : { key, found: true, value: values[i] })) }
    },
  )

  app.post(
    '/v1/namespaces/:ns/keys::batchSet',
    {
      config: { auth: { scope: 'write', action: 'kv.batchSet' } },
      schema: {
        tags: ['kv'],
        summary: 'Write several keys (one L2 round trip; the write mode applies to each)',
        params: Type.Object({ ns: NamespaceParam }),
        body: BatchSetBody,
        response: { 200: Type.Object({ written: Type.Integer() }), ...problems(400, 404, 413, 414, 415, 502, 503) },
      },
    },
    async (request) => {
      const handle = await resolve(request.params.ns)
      for (const item of request.body.items) {
        checkKey(request.params.ns, handle.spec.security, item.key)
        checkWrite(request.params.ns, handle.spec.security, item.ttl, item.value)
      }
      const items = request.body.items.map(({ key, value, ttl, tags }) => ({
        key,
        value,
        options: { ...(ttl === undefined ? {} : { ttl }), ...(tags === undefined ? {} : { tags }) },
      }))
      await handle.cache.setMany(items)
      return { written: items.length }
    },
  )
  done()
}

/**
 * JSON text of a value, computed once per value object: an L1 hit returns the same object until the entry changes,
 * so the hot path does not stringify it again (WeakMap: the text goes when the entry does).
 */
const serialized = new WeakMap<object, string>()
function serialize(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value)
  let text = serialized.get(value)
  if (text === undefined) serialized.set(value, (text = JSON.stringify(value)))
  return text
}

/** Says why: a miss with nothing to load from, or the origin's own 404 (the key is named in `context`, not the text). */
function notFound(namespace: string, key: string, why: string): StrataError {
  return new StrataError('E_KEY_NOT_FOUND', `Key not found in namespace '${namespace}': ${why}`, { context: { namespace, key } })
}

function etagOf(version: number): string {
  return `"${version}"`
}

type EntryHeaders = Pick<EntryMeta, 'version' | 'createdAt' | 'expiresAt'>

function setEntryHeaders(reply: FastifyReply, info: EntryHeaders, now: number): void {
  reply.header('etag', etagOf(info.version))
  reply.header('age', Math.max(0, Math.floor((now - info.createdAt) / 1000)))
  // Rounded, not ceiled: the engine stamps expiresAt with its high-resolution clock, which can run a few ms ahead of
  // Date.now() in a long-lived process, and a fresh 120 s entry must not read as 121 s left.
  reply.header('x-cache-ttl', Math.max(0, Math.round((info.expiresAt - now) / 1000)))
}

function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  return header.split(',').some((tag) => {
    const t = tag.trim()
    return t === '*' || t.replace(/^W\//, '') === etag
  })
}

/**
 * If-Match (strong comparison) and If-None-Match for writes, as the condition of an engine `setIf` / `deleteIf`: it is
 * checked under the key's L2 lease, so two writers holding the same ETag cannot both succeed, on one gateway or many.
 */
function conditionOf(headers: { 'if-match'?: string | undefined; 'if-none-match'?: string | undefined }): WriteCondition<unknown> | undefined {
  const ifMatch = headers['if-match']
  const ifNone = headers['if-none-match']
  if (ifMatch === undefined && ifNone === undefined) return undefined
  return (entry) => {
    const current = entry === undefined ? undefined : etagOf(entry.version)
    if (ifMatch !== undefined) {
      const tags = ifMatch.split(',').map((t) => t.trim())
      const ok = current !== undefined && (tags.includes('*') || tags.includes(current))
      if (!ok) return `If-Match ${ifMatch} does not match the current ETag ${current ?? '(none: the key does not exist)'}`
    }
    if (ifNone !== undefined && current !== undefined) {
      const tags = ifNone.split(',').map((t) => t.trim().replace(/^W\//, ''))
      if (tags.includes('*') || tags.includes(current)) return `If-None-Match ${ifNone} matched the current ETag ${current}`
    }
    return true
  }
}
