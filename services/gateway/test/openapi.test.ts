import { readFileSync } from 'node:fs'
import SwaggerParser from '@apidevtools/swagger-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireRedis } from '@strata/testkit'
import { TestAuth } from './support/auth.js'
import { startGateway, type TestGateway } from './support/harness.js'

type Operation = { responses?: Record<string, { content?: Record<string, { schema?: unknown; example?: unknown; examples?: unknown }> }>; summary?: string }
type OpenApiDocument = { openapi: string; paths: Record<string, Record<string, Operation>> }

/** Fastify's `/v1/namespaces/:ns/keys::batchGet` and `/proxy/:upstream/*` as OpenAPI spells them. */
function openApiPath(url: string): string {
  // `::` is Fastify's escaped literal colon; a parameter is `:name` after a slash.
  return url.replace(/\/:(\w+)/g, '/{$1}').replace(/::/g, ':').replace(/\*$/, '{*}')
}

describe('the gateway OpenAPI document (real Redis)', () => {
  let gw: TestGateway
  let document: OpenApiDocument
  beforeAll(async () => {
    await requireRedis()
    // With auth, as in production: the API-key and audit routes exist only then, and they must be documented too.
    gw = await startGateway({ auth: new TestAuth().auth })
    document = (await gw.app.inject('/docs/json')).json<OpenApiDocument>()
  })
  afterAll(async () => gw.stop())

  it('validates as OpenAPI 3 (structure and every $ref)', async () => {
    const validated = await SwaggerParser.validate(structuredClone(document) as never)
    expect(validated.info.title).toBe('Strata caching gateway')
  })

  it('documents every route in Fastify’s route table (an undocumented route fails this test)', () => {
    expect(undocumented(document)).toEqual([])
  })

  it('the published docs/reference/openapi.json has every route of a gateway with auth (pnpm docs:api builds one)', () => {
    const published = JSON.parse(readFileSync(new URL('../../../docs/reference/openapi.json', import.meta.url), 'utf8')) as OpenApiDocument
    expect(undocumented(published)).toEqual([])
  })

  /** Routes of the gateway under test that the document does not describe. */
  function undocumented(document: OpenApiDocument): string[] {
    const documented = new Set(Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`)))
    // Only the Swagger UI's own routes, the console's bare redirect (/console → /console/) and proxy methods OpenAPI 3
    // has no operation for (PROPFIND, M-SEARCH, PURGE…) may be hidden.
    const openApiMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'POST', 'PUT', 'PATCH', 'DELETE'])
    const hiddenOnPurpose = (route: { url: string; method: string }) =>
      route.url.startsWith('/docs') || route.url === '/console' || (route.url === '/proxy/:upstream/*' && !openApiMethods.has(route.method))
    expect(gw.routes.filter((route) => route.hidden && !hiddenOnPurpose(route))).toEqual([])
    const routes = gw.routes.filter((route) => !route.hidden)
    expect(routes.length).toBeGreaterThan(10)
    expect(routes.map((route) => route.url)).toEqual(expect.arrayContaining(['/v1/admin/keys', '/v1/admin/keys/:id', '/v1/admin/audit', '/v1/admin/audit/verify']))
    // HEAD routes Fastify adds beside each GET are the GET's own; the proxy route documents HEAD explicitly.
    const missing = routes
      .filter((route) => route.method !== 'HEAD' || route.url.startsWith('/proxy/'))
      .map((route) => `${route.method} ${openApiPath(route.url)}`)
      .filter((operation) => !documented.has(operation))
    return missing
  }

  it('gives every operation a summary, a success answer and problem+json error answers', () => {
    const gaps: string[] = []
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`
        const statuses = Object.keys(operation.responses ?? {})
        if (!operation.summary) gaps.push(`${where}: no summary`)
        if (!statuses.some((status) => status.startsWith('2'))) gaps.push(`${where}: no 2xx answer`)
        const errors = statuses.filter((status) => /^[45]/.test(status) && status !== '503')
        if (path !== '/health/live' && path !== '/health/ready' && errors.length === 0) gaps.push(`${where}: no error answer`)
        for (const status of errors) {
          const content = operation.responses![status]!.content ?? {}
          if (!Object.keys(content).some((type) => type.startsWith('application/problem+json'))) gaps.push(`${where} ${status}: not problem+json`)
        }
      }
    }
    expect(gaps).toEqual([])
  })

  it('carries examples for the KV write and the invalidation request bodies', () => {
    const body = (path: string, method: string) => JSON.stringify((document.paths[path]?.[method] as { requestBody?: unknown }).requestBody)
    expect(body('/v1/namespaces/{ns}/keys/{key}', 'put')).toContain('example')
    expect(body('/v1/namespaces/{ns}/invalidations', 'post')).toContain('example')
  })
})
