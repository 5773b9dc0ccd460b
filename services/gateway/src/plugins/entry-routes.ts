import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import { EntryPageSchema, EntryViewSchema } from '@strata/api'
import { StrataError } from '@strata/core'
import { browseEntries, entryView } from '../entries/entry-browser.js'
import { NamespaceParam, problems } from '../http/schemas.js'
import type { NamespaceRegistry } from '../namespaces/namespace-registry.js'
import { checkKey } from '../namespaces/namespace-security.js'

export interface EntryRoutesOptions {
  registry: NamespaceRegistry
  clock: () => number
}

/** Keys looked at per page at most, when a tag filter (or dead entries) leaves most of them out. */
export const MAX_SCANNED_PER_PAGE = 5_000

const BrowseQuery = Type.Object(
  {
    prefix: Type.Optional(Type.String({ maxLength: 1024, description: 'Keys starting with this' })),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Entries carrying this tag (filters the scan: entries are not indexed by tag)' })),
    limit: Type.Optional(Type.String({ pattern: '^([1-9]\\d?|[1-4]\\d\\d|500)$', description: '1 to 500, default 50' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1200, description: 'The cursor of the previous page' })),
  },
  { additionalProperties: false },
)

/**
 * The console's key browser: list a namespace's entries with their metadata (by prefix, by tag, page by page) and
 * inspect one. Reading metadata never counts as a hit. Listing scans L2 (Memcached cannot: 501).
 */
export const entryRoutes: FastifyPluginCallbackTypebox<EntryRoutesOptions> = (app, { registry, clock }, done) => {
  app.get(
    '/v1/namespaces/:ns/entries',
    {
      config: { auth: { scope: 'read', audit: false } },
      schema: {
        tags: ['kv'],
        summary: 'Browse entries by key prefix and/or tag, with their metadata (scans L2; not for hot paths)',
        description:
          'Pages hold at most `limit` entries; follow `cursor` until it is null. A page may hold fewer (even none) with a cursor when a tag filter or expired keys left most scanned keys out: at most 5000 keys are looked at per page. Keys written during a listing may be missed or listed twice. Memcached cannot list keys: 501 E_UNSUPPORTED_BY_STORE.',
        params: Type.Object({ ns: NamespaceParam }),
        querystring: BrowseQuery,
        response: { 200: EntryPageSchema, ...problems(400, 401, 403, 404, 501, 503) },
      },
    },
    async (request) => {
      const handle = registry.get(request.params.ns) ?? (await registry.resolve(request.params.ns))
      const { prefix = '', tag, limit, cursor } = request.query
      return browseEntries(handle.cache, { prefix, tag, limit: limit === undefined ? 50 : Number(limit), cursor, maxScanned: MAX_SCANNED_PER_PAGE }, clock)
    },
  )

  app.get(
    '/v1/namespaces/:ns/entries/:key',
    {
      config: { auth: { scope: 'read', audit: false } },
      schema: {
        tags: ['kv'],
        summary: "One entry's metadata (tier, TTL and grace left, size, tags, version) without its value; not a hit",
        params: Type.Object({ ns: NamespaceParam, key: Type.String({ minLength: 1, description: 'URL-encoded key' }) }),
        response: { 200: EntryViewSchema, ...problems(400, 401, 403, 404, 414, 503) },
      },
    },
    async (request) => {
      const { ns, key } = request.params
      const handle = registry.get(ns) ?? (await registry.resolve(ns))
      checkKey(ns, handle.spec.security, key)
      const info = await handle.cache.inspect(key)
      if (info === undefined) throw new StrataError('E_KEY_NOT_FOUND', `Key not found in namespace '${ns}'`, { context: { namespace: ns, key } })
      return entryView(key, info, clock())
    },
  )
  done()
}
