import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import { StrataError, type NamespaceCache } from '@strata/core'
import { countTagged } from '../entries/entry-browser.js'
import { NamespaceParam, TagList, problems } from '../http/schemas.js'
import type { InvalidationHistory } from '../history/invalidation-history.js'
import type { NamespaceRegistry } from '../namespaces/namespace-registry.js'

/** A tag dry run scans the namespace; past this many keys it answers null rather than a partial count. */
export const MAX_SCANNED_FOR_TAG_COUNT = 100_000

export interface InvalidationRoutesOptions {
  registry: NamespaceRegistry
  history: InvalidationHistory
}

const InvalidationBody = Type.Object(
  {
    keys: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 1000 })),
    tags: Type.Optional(TagList),
    expireTags: Type.Optional(TagList),
    prefixes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { minItems: 1, maxItems: 100, description: 'Every key starting with one of these (a scan of L2)' })),
    all: Type.Optional(Type.Boolean()),
    dryRun: Type.Optional(Type.Boolean({ description: 'Count what would be invalidated; change nothing' })),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    examples: [{ keys: ['user:42'], tags: ['org:7'] }, { expireTags: ['catalog'] }, { prefixes: ['cart:'] }, { all: true }, { tags: ['org:7'], dryRun: true }],
  },
)
const Count = Type.Union([Type.Integer(), Type.Null()], { description: 'null: the store cannot count this' })
const InvalidationResult = Type.Object({
  namespace: Type.String(),
  keys: Type.Integer(),
  tags: Type.Integer(),
  expireTags: Type.Integer(),
  prefixes: Type.Integer(),
  all: Type.Boolean(),
})
const DryRunResult = Type.Object({
  dryRun: Type.Literal(true),
  namespace: Type.String(),
  counts: Type.Object({
    keys: Type.Integer({ description: 'Of the keys given, how many hold a live entry' }),
    prefixes: Count,
    tags: { ...Count, description: 'Live entries carrying one of the tags (a scan; null where the store cannot list keys)' },
    expireTags: { ...Count, description: 'Live entries carrying one of the expireTags (a scan, as for tags)' },
    all: { ...Count, description: "Keys in the namespace's L2, when all is asked" },
  }),
})

/**
 * Manual invalidation of a namespace: keys and tags are gone, expireTags are stale (served within grace while they
 * refresh), all empties it. Only the cache changes — never the origin, whatever the write mode.
 */
export const invalidationRoutes: FastifyPluginCallbackTypebox<InvalidationRoutesOptions> = (app, { registry, history }, done) => {
  // The JSON API takes application/json only: anything else is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain')
  app.post(
    '/v1/namespaces/:ns/invalidations',
    {
      config: { auth: { scope: 'invalidate', action: 'namespace.invalidate' } },
      schema: {
        tags: ['invalidation'],
        summary: 'Invalidate keys, tags, key prefixes, or the whole namespace, in every tier and every gateway instance',
        description: 'With dryRun: true nothing changes; the answer counts what would be invalidated (counts by prefix, tag and all scan the L2 store; null when it cannot list keys, as Memcached).',
        params: Type.Object({ ns: NamespaceParam }),
        body: InvalidationBody,
        response: { 200: Type.Union([InvalidationResult, DryRunResult]), ...problems(400, 404, 414, 415, 503) },
      },
    },
    async (request) => {
      const { ns } = request.params
      const handle = registry.get(ns) ?? (await registry.resolve(ns))
      const { keys = [], tags = [], expireTags = [], prefixes = [], all = false, dryRun = false } = request.body
      if (keys.length + tags.length + expireTags.length + prefixes.length === 0 && !all) {
        throw new StrataError('E_INVALID_OPTION', 'Name something to invalidate: keys, tags, expireTags, prefixes or all', { context: { namespace: ns } })
      }
      if (dryRun) return { dryRun: true as const, namespace: ns, counts: await dryRunCounts(handle.cache, { keys, tags, expireTags, prefixes, all }) }
      if (all) await handle.cache.clear()
      if (keys.length > 0) await handle.cache.deleteMany(keys)
      if (tags.length > 0) await handle.cache.deleteByTag(tags)
      if (expireTags.length > 0) await handle.cache.expireByTag(expireTags)
      for (const prefix of prefixes) await handle.cache.deleteByPrefix(prefix)
      history.record({ namespace: ns, source: 'api', actor: request.principal?.id ?? 'anonymous', keys, tags, expireTags, prefixes, all })
      return { namespace: ns, keys: keys.length, tags: tags.length, expireTags: expireTags.length, prefixes: prefixes.length, all }
    },
  )
  done()
}

/** What an invalidation would touch, counted without changing anything. Targets not asked for count 0. */
async function dryRunCounts(
  cache: NamespaceCache<unknown>,
  target: { keys: string[]; tags: string[]; expireTags: string[]; prefixes: string[]; all: boolean },
): Promise<{ keys: number; prefixes: number | null; tags: number | null; expireTags: number | null; all: number | null }> {
  const live = target.keys.length === 0 ? [] : await cache.inspectMany(target.keys)
  let prefixes: number | null = 0
  for (const prefix of target.prefixes) {
    const n = await cache.countInL2({ prefix })
    prefixes = n === undefined || prefixes === null ? null : prefixes + n
  }
  const tagged = async (tags: readonly string[]) => (tags.length === 0 ? 0 : countTaggedOrNull(cache, tags))
  return {
    keys: live.filter((info) => info !== undefined).length,
    prefixes,
    tags: await tagged(target.tags),
    expireTags: await tagged(target.expireTags),
    all: target.all ? ((await cache.countInL2({ prefix: '' })) ?? null) : 0,
  }
}

async function countTaggedOrNull(cache: NamespaceCache<unknown>, tags: readonly string[]): Promise<number | null> {
  try {
    return await countTagged(cache, tags, MAX_SCANNED_FOR_TAG_COUNT)
  } catch (error) {
    if (error instanceof StrataError && error.code === 'E_UNSUPPORTED_BY_STORE') return null
    throw error
  }
}
