import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
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
 * or an origin's Surrogate-Key for the proxy); a purge invalidates that tag in every namespace and upstream, which
 * removes it from L2 (tag versions) and every instance's L1 (the bus), and leaves an audit record.
 */
export const subjectRoutes: FastifyPluginCallbackTypebox<SubjectRoutesOptions> = (app, { registry, proxy, audit, history }, done) => {
  app.delete(
    '/v1/admin/subjects/:subject',
    {
      // The route writes its own audit record, with what was purged.
      config: { auth: { scope: 'admin', namespace: '*', action: 'subject.purge', audit: false } },
      schema: {
        tags: ['security'],
        summary: 'Purge every entry tagged subject:<id>, in every namespace and proxy upstream, in L1 and L2',
        params: Type.Object({ subject: Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\s]+$' }) }),
        response: { 200: Type.Object({ subject: Type.String(), tag: Type.String(), namespaces: Type.Array(Type.String()), upstreams: Type.Array(Type.String()) }), ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const tag = `${SUBJECT_TAG_PREFIX}${request.params.subject}`
      const namespaces = registry.list().map((handle) => handle.name)
      try {
        for (const handle of registry.list()) await handle.cache.deleteByTag([tag])
        for (const upstream of proxy.upstreams) await proxy.cacheFor(upstream).purgeSurrogateKeys([tag])
      } catch (error) {
        await audit?.record({ actor: request.principal?.id ?? 'anonymous', action: 'subject.purge', resource: tag, outcome: 'failed', ip: request.ip, at: Date.now() })
        throw error
      }
      history.note({ trigger: 'subject', actor: request.principal?.id ?? 'anonymous', tags: [tag] })
      await audit?.record({
        actor: request.principal?.id ?? 'anonymous',
        action: 'subject.purge',
        resource: tag,
        outcome: 'allowed',
        ip: request.ip,
        detail: { namespaces, upstreams: proxy.upstreams },
        at: Date.now(),
      })
      return { subject: request.params.subject, tag, namespaces, upstreams: proxy.upstreams }
    },
  )
  done()
}
