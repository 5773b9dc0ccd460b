import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import type { NamespaceCache } from '@strata/core'
import type { AuditTrail } from '@strata/security'
import { problems } from '../http/schemas.js'
import type { NamespaceRegistry } from '../namespaces/namespace-registry.js'
import type { InvalidationHistory } from '../history/invalidation-history.js'
import type { ProxyService } from '../proxy/proxy-service.js'

export interface SubjectRoutesOptions {
  registry: NamespaceRegistry
  proxy: ProxyService
  audit: AuditTrail | undefined
  history: InvalidationHistory
}

export const SUBJECT_TAG_PREFIX = 'subject:'

/**
 * Data protection: erase everything about one data subject. Entries are tagged `subject:<id>` when written (KV tags,
 * or an origin's Surrogate-Key for the proxy). A purge finds the tagged entries of every namespace by scanning L2 and
 * deletes their values (L2 bytes gone at once; every instance's L1 through the bus), so no plaintext waits for its
 * ttl. Where the store cannot list keys (Memcached) the tag is invalidated instead and the answer says so. Writes still
 * waiting in the write-behind buffer are dropped too (found by the tags they carry, even when their cached entry is
 * gone), or a later flush would write the erased values to the origin. Audit and
 * history name the subject only by a keyed hash. Proxy upstreams are purged by surrogate key.
 */
export const subjectRoutes: FastifyPluginCallbackTypebox<SubjectRoutesOptions> = (app, { registry, proxy, audit, history }, done) => {
  app.delete(
    '/v1/admin/subjects/:subject',
    {
      // The route writes its own audit record, with what was purged.
      config: { auth: { scope: 'admin', namespace: '*', action: 'subject.purge', audit: false } },
      schema: {
        tags: ['security'],
        summary: 'Erase every entry tagged subject:<id>, in every namespace and proxy upstream, in L1 and L2',
        params: Type.Object({ subject: Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\s]+$' }) }),
        response: {
          200: Type.Object({
            subject: Type.String(),
            tag: Type.String(),
            namespaces: Type.Array(Type.String()),
            erased: Type.Record(Type.String(), Type.Integer(), { description: 'Values deleted per namespace (L1 and L2)' }),
            tombstoned: Type.Array(Type.String(), { description: 'Namespaces whose store cannot list keys: the tag was invalidated, values expire with their ttl' }),
            discardedWrites: Type.Record(Type.String(), Type.Integer(), {
              description: 'Write-behind writes tagged with the subject that had not reached the origin, dropped per namespace (a flush already under way still lands its write)',
            }),
            upstreams: Type.Array(Type.String()),
          }),
          ...problems(400, 401, 403),
        },
      },
    },
    async (request) => {
      const tag = `${SUBJECT_TAG_PREFIX}${request.params.subject}`
      // What audit and history keep: a keyed hash, so the erasure record does not itself name the subject.
      const recorded = `subject:${registry.keyHasher.hash(request.params.subject)}`
      const namespaces = registry.list().map((handle) => handle.name)
      const erased: Record<string, number> = {}
      const tombstoned: string[] = []
      const discardedWrites: Record<string, number> = {}
      const actor = request.principal?.id ?? 'anonymous'
      try {
        for (const handle of registry.list()) {
          // The buffer first: a flush between the L2 delete and this would otherwise write the values back.
          const discarded = await handle.cache.discardPendingWrites(tag)
          if (discarded > 0) discardedWrites[handle.name] = discarded
          const keys = await taggedKeys(handle.cache, tag)
          if (keys === undefined) {
            await handle.cache.deleteByTag([tag])
            tombstoned.push(handle.name)
            continue
          }
          for (let i = 0; i < keys.length; i += 500) await handle.cache.deleteMany(keys.slice(i, i + 500))
          erased[handle.name] = keys.length
        }
        for (const upstream of proxy.upstreams) await proxy.cacheFor(upstream).purgeSurrogateKeys([tag])
      } catch (error) {
        await audit?.record({ actor, action: 'subject.purge', resource: recorded, outcome: 'failed', ip: request.ip, at: Date.now() })
        throw error
      }
      history.note({ trigger: 'subject', actor, tags: [recorded] })
      await audit?.record({ actor, action: 'subject.purge', resource: recorded, outcome: 'allowed', ip: request.ip, detail: { erased, tombstoned, discardedWrites, upstreams: proxy.upstreams }, at: Date.now() })
      return { subject: request.params.subject, tag, namespaces, erased, tombstoned, discardedWrites, upstreams: proxy.upstreams }
    },
  )
  done()
}

/** Every key of the namespace whose entry carries `tag` (a full L2 scan); undefined when the store cannot list keys. */
async function taggedKeys(cache: NamespaceCache<unknown>, tag: string): Promise<string[] | undefined> {
  const found: string[] = []
  let cursor: string | undefined
  try {
    do {
      const page = await cache.scanKeys('', { cursor, limit: 500 })
      cursor = page.cursor
      const infos = await cache.inspectMany(page.keys)
      page.keys.forEach((key, index) => {
        if (infos[index]?.tags.includes(tag) === true) found.push(key)
      })
    } while (cursor !== undefined)
  } catch (error) {
    if ((error as { code?: string }).code === 'E_UNSUPPORTED_BY_STORE') return undefined
    throw error
  }
  return found
}
