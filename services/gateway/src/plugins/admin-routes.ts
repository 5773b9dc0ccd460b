import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import { StrataError } from '@strata/core'
import { allows } from '@strata/security'
import { describeSchemaIssues, jsonNestsDeeperThan } from '@strata/service'
import { NamespaceParam, problems } from '../http/schemas.js'
import type { NamespaceHandle, NamespaceRegistry } from '../namespaces/namespace-registry.js'
import { NamespaceSpecSchema, type NamespaceSpec } from '../namespaces/namespace-spec.js'
import { applyMergePatch } from '../http/merge-patch.js'

export interface AdminRoutesOptions {
  registry: NamespaceRegistry
}

const NamespaceView = Type.Object({
  name: Type.String(),
  policy: Type.Ref('NamespacePolicy'),
  stats: Type.Object({
    hits: Type.Number(),
    misses: Type.Number(),
    coalesced: Type.Number({ description: 'Reads that joined a load already under way (single-flight); hits for the ratio' }),
    l1Hits: Type.Number(),
    l2Hits: Type.Number(),
    staleHits: Type.Number(),
    hitRatio: Type.Number(),
    sets: Type.Number(),
    deletes: Type.Number(),
    loads: Type.Number(),
    loadErrors: Type.Number(),
  }),
})
const Params = Type.Object({ ns: NamespaceParam })
const MERGE_PATCH = 'application/merge-patch+json'
/** How deep a merge patch may nest (a namespace spec is a few levels; the shell's JSON limit is far above). */
const MAX_PATCH_DEPTH = 16

/**
 * Namespaces and their policies. Listing every namespace needs admin on `*`; one namespace needs admin on it (a
 * namespace's own admin may change its policy, including its security policy, but may only choose an origin a
 * global admin or the configuration allowed). Origin header values are write-only: shown as `[write-only]`.
 */
export const adminRoutes: FastifyPluginCallbackTypebox<AdminRoutesOptions> = (app, { registry }, done) => {
  // The JSON API takes application/json only: anything else is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain')
  // PATCH takes RFC 7396 merge patches; JSON's own parser (prototype-poisoning checks included) reads them.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser(MERGE_PATCH, { parseAs: 'string' }, (request, body, done) => {
    if (jsonNestsDeeperThan(body as string, MAX_PATCH_DEPTH)) {
      done(new StrataError('E_JSON_TOO_DEEP', `The merge patch nests more than ${MAX_PATCH_DEPTH} levels deep`, { context: { maxDepth: MAX_PATCH_DEPTH } }), undefined)
      return
    }
    void parseJson(request, body as string, done)
  })
  app.get(
    '/v1/admin/namespaces',
    { config: { auth: { scope: 'admin', namespace: '*', action: 'namespace.list', audit: false } }, schema: { tags: ['admin'], summary: 'List namespaces', response: { 200: Type.Object({ namespaces: Type.Array(NamespaceView) }), ...problems() } } },
    () => Promise.resolve({ namespaces: registry.list().map(view) }),
  )

  app.get(
    '/v1/admin/namespaces/:ns',
    { config: { auth: { scope: 'admin', action: 'namespace.get', audit: false } }, schema: { tags: ['admin'], summary: 'A namespace with its policy and counters', params: Params, response: { 200: NamespaceView, ...problems(400, 404) } } },
    async (request) => view(await registry.resolve(request.params.ns)),
  )

  app.put(
    '/v1/admin/namespaces/:ns',
    {
      config: { auth: { scope: 'admin', action: 'namespace.put' } },
      schema: {
        tags: ['admin'],
        summary: 'Create or replace a namespace and its policy',
        description: 'Durations are milliseconds. write-through and write-behind need an origin. Stored entries stay and are read under the new policy.',
        params: Params,
        body: NamespaceSpecSchema,
        response: { 200: NamespaceView, 201: NamespaceView, ...problems(400, 415) },
      },
    },
    async (request, reply) => {
      if (request.headers['content-type']?.startsWith(MERGE_PATCH) === true) {
        throw new StrataError('E_UNSUPPORTED_MEDIA_TYPE', `PUT takes the whole policy as application/json; send a ${MERGE_PATCH} body with PATCH`, { context: { namespace: request.params.ns } })
      }
      // A namespace's own admin may change its policy but only point it at an origin a global admin allowed.
      const principal = request.principal
      const globalAdmin = principal === undefined || allows(principal.grants, 'admin', '*')
      const { created, handle } = await registry.put(request.params.ns, request.body, { globalAdmin })
      return reply.code(created ? 201 : 200).send(view(handle))
    },
  )

  app.patch(
    '/v1/admin/namespaces/:ns',
    {
      config: { auth: { scope: 'admin', action: 'namespace.patch' } },
      schema: {
        tags: ['admin'],
        summary: 'Change some fields of a namespace policy (JSON Merge Patch, RFC 7396)',
        description:
          'Send Content-Type: application/merge-patch+json (application/json is taken too). Members merge into the current policy, null removes one (its default applies), arrays replace. The result is validated as a PUT body is, and answered like a PUT.',
        params: Params,
        body: Type.Record(Type.String(), Type.Unknown(), { description: 'A JSON Merge Patch of the namespace policy' }),
        response: { 200: NamespaceView, ...problems(400, 404, 415) },
      },
    },
    async (request) => {
      const handle = await registry.resolve(request.params.ns)
      const merged = applyMergePatch(handle.spec, request.body)
      const validate = request.compileValidationSchema(NamespaceSpecSchema)
      if (!validate(merged)) {
        // The same sentences a PUT body gets, naming the patched property and what it may be.
        throw Object.assign(describeSchemaIssues((validate.errors ?? []) as Parameters<typeof describeSchemaIssues>[0], 'body'), { statusCode: 400, validation: validate.errors ?? [], validationContext: 'body' })
      }
      const principal = request.principal
      const globalAdmin = principal === undefined || allows(principal.grants, 'admin', '*')
      return view((await registry.put(request.params.ns, merged as NamespaceSpec, { globalAdmin })).handle)
    },
  )

  app.delete(
    '/v1/admin/namespaces/:ns',
    { config: { auth: { scope: 'admin', action: 'namespace.delete' } }, schema: { tags: ['admin'], summary: 'Delete a namespace and empty it', params: Params, response: { 204: Type.Null(), ...problems(400, 404) } } },
    async (request, reply) => {
      await registry.resolve(request.params.ns)
      await registry.remove(request.params.ns)
      return reply.code(204).send(null)
    },
  )
  done()
}

function view(handle: NamespaceHandle) {
  const { hits, misses, coalesced, l1Hits, l2Hits, staleHits, hitRatio, sets, deletes, loads, loadErrors } = handle.cache.stats()
  return { name: handle.name, policy: handle.spec, stats: { hits, misses, coalesced, l1Hits, l2Hits, staleHits, hitRatio, sets, deletes, loads, loadErrors } }
}
