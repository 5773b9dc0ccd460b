// @strata/client — a typed HTTP SDK for the Strata gateway. Ecosystem adapters are subpath exports:
// @strata/client/keyv (a Keyv store over a Strata cache), /fastify (route response cache), /express (middleware).
export { StrataClient, type StrataClientOptions } from './strata-client.js'
export { StrataApiError } from './http/api-error.js'
export { ROUTES, pathOf, type RouteName, type HttpMethod } from './http/routes.js'
export type { RetryOptions, TransportOptions } from './http/http-transport.js'
export type * from './types.js'
