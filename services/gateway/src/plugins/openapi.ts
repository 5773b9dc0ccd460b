import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { NamespaceSpecSchema } from '../namespaces/namespace-spec.js'

/** OpenAPI 3 generated from the route schemas, served as JSON at /docs/json and as Swagger UI at /docs. */
export const openApiPlugin = fp(
  async (app: FastifyInstance) => {
    app.addSchema(NamespaceSpecSchema)
    await app.register(swagger, {
      openapi: {
        // 3.1: its schemas are JSON Schema 2020-12, so TypeBox's numeric exclusiveMinimum/Maximum are valid as they are.
        openapi: '3.1.0',
        info: {
          title: 'Strata caching gateway',
          version: '0.1.0',
          description:
            'KV cache API with namespaces, an RFC 9111 caching reverse proxy under /proxy/{upstream}/..., invalidation and purge, admin and operations endpoints. Errors are RFC 9457 application/problem+json with a stable code (docs/reference/errors.md).',
        },
        tags: [
          { name: 'kv', description: 'Key-value cache API' },
          { name: 'admin', description: 'Namespaces and their policies' },
          { name: 'invalidation', description: 'Invalidation, purge and events' },
          { name: 'proxy', description: 'Caching reverse proxy' },
          { name: 'operations', description: 'Health, metrics' },
          { name: 'security', description: 'API keys, the audit log, purge by data subject' },
          { name: 'console', description: 'The web console (public shell) and the live views it reads' },
        ],
        // Every route but health and docs needs one of these (docs/guides/security.md).
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', description: 'An API key (sk_<id>_<secret>) or a JWT from the configured identity provider' },
            apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          },
        },
        security: [{ bearer: [] }, { apiKey: [] }],
      },
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    })
    await app.register(swaggerUi, { routePrefix: '/docs' })
  },
  { name: 'strata-openapi' },
)
